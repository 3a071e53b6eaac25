"""The packet's top findings as a Markdown table: one renderer for the Dagster UI's packet summary
and the on-call summary, so the two never disagree on what a finding row shows."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.packet import Finding
from opsrunbook_dagster.actions.render.markdown_escape import md_code, md_text


def findings_table(findings: Sequence[Finding], limit: int, *, with_refs: bool) -> list[str]:
    """Header, rule and one row per finding (rank, kind, confidence, resource, title and, with
    ``with_refs``, the number of evidence refs), at most ``limit`` rows; a placeholder row when
    there is no finding. Evidence text is escaped."""
    columns = ["#", "kind", "confidence", "resource", "finding"] + (["refs"] if with_refs else [])
    lines = [_row(columns), "|" + "---|" * len(columns)]
    for rank, finding in enumerate(findings[:limit], start=1):
        cells = [
            str(rank),
            finding.kind.value,
            f"{finding.confidence:.2f}",
            md_code(finding.resource),
            md_text(finding.title),
        ]
        lines.append(_row(cells + ([str(len(finding.evidence_refs))] if with_refs else [])))
    if not findings:
        lines.append(_row(["-"] * 4 + ["no findings"] + (["-"] if with_refs else [])))
    return lines


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
