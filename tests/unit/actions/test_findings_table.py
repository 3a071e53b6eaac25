"""One findings table for the packet summary (with refs) and the on-call summary (without)."""

from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.findings_table import findings_table
from opsrunbook_dagster.actions.render.oncall_summary import oncall_markdown
from opsrunbook_dagster.defs.incidents.summaries import packet_markdown
from tests import factories


def _packet(**overrides: object) -> IncidentPacketV1:
    return IncidentPacketV1.model_validate(factories.packet(**overrides))


def test_rows_are_ranked_escaped_and_capped() -> None:
    findings = [factories.finding(title=f"t{i} | *x*", confidence=0.5 + i / 10) for i in range(3)]
    packet = _packet(findings=findings)
    assert findings_table(packet.findings, 2, with_refs=True) == [
        "| # | kind | confidence | resource | finding | refs |",
        "|---|---|---|---|---|---|",
        "| 1 | lambda_timeout | 0.50 | `payment-gateway` | t0 \\| \\*x\\* | 1 |",
        "| 2 | lambda_timeout | 0.60 | `payment-gateway` | t1 \\| \\*x\\* | 1 |",
    ]
    assert findings_table(packet.findings, 1, with_refs=False)[1:] == [
        "|---|---|---|---|---|",
        "| 1 | lambda_timeout | 0.50 | `payment-gateway` | t0 \\| \\*x\\* |",
    ]


def test_no_findings_gets_a_placeholder_row_in_both_summaries() -> None:
    packet = _packet(findings=[])
    assert "| - | - | - | - | no findings | - |" in packet_markdown(packet).splitlines()
    assert "| - | - | - | - | no findings |" in oncall_markdown(packet, [], {}).splitlines()
