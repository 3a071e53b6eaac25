"""Markdown shown in the Dagster UI for packets and plans."""

from contracts.actions import ActionPlanV1, ActionResultV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.findings_table import findings_table
from opsrunbook_dagster.actions.render.markdown_escape import md_code
from opsrunbook_dagster.actions.render.markdown_escape import md_text as _cell


def packet_markdown(packet: IncidentPacketV1, limit: int = 10) -> str:
    lines = [
        f"**{_cell(packet.summary)}**",
        "",
        *findings_table(packet.findings, limit, with_refs=True),
    ]
    if packet.limits:
        lines += [
            "",
            "**Limits**",
            *[f"- {md_code(limit_.code)} {_cell(limit_.message)}" for limit_ in packet.limits[:10]],
        ]
    return "\n".join(lines)


def plan_markdown(plan: ActionPlanV1, results: list[ActionResultV1] | None = None) -> str:
    by_action = {r.action_id: r for r in results or []}
    flags = plan.flags
    lines = [
        f"automation_enabled={flags.automation_enabled} · dry_run={flags.dry_run} · "
        f"github_pr_enabled={flags.github_pr_enabled} · pr_threshold={flags.pr_confidence_threshold}",
        "",
        "| action | decision | reason | result |",
        "|---|---|---|---|",
    ]
    for action in plan.actions:
        result = by_action.get(action.action_id)
        outcome = (
            f"{result.status.value}"
            + (
                f" → {_cell(result.external_ref.url or result.external_ref.key or '')}"
                if result and result.external_ref
                else ""
            )
            if result
            else "-"
        )
        lines.append(
            f"| {action.action_type.value} | {action.decision.value} | {_cell(action.reason)} | {outcome} |"
        )
    return "\n".join(lines)
