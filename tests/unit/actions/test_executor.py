"""actions/executor.py: a dry run records the exact requests; the kill switch disables everything."""

from __future__ import annotations

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.executor import execute_plan
from opsrunbook_dagster.planning.planner import build_plan
from tests import factories


def _packet() -> IncidentPacketV1:
    return IncidentPacketV1.model_validate(factories.packet()).with_hashes()


def test_executor_dry_run_records_exact_requests_and_kill_switch_disables() -> None:
    packet = _packet()
    results = execute_plan(packet, build_plan(packet, ActionFlags()))
    by_type = {r.action_type: r for r in results}
    assert by_type[ActionType.jira_ticket].status == ActionStatus.dry_run
    body = by_type[ActionType.jira_ticket].request["json"]["fields"]  # type: ignore[index]
    fs_label = "opsrunbook-fs-" + build_plan(packet, ActionFlags()).finding_set_sha256[:12]
    assert body["labels"] == ["opsrunbook", "opsrunbook-incident-inc-1", fs_label]
    assert body["description"]["type"] == "doc"
    teams = by_type[ActionType.teams_notification].request["json"]  # type: ignore[index]
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    killed = execute_plan(packet, build_plan(packet, ActionFlags(automation_enabled=False, dry_run=False)))
    assert {r.status for r in killed} == {ActionStatus.disabled, ActionStatus.skipped}
    assert all(r.request is None for r in killed)
