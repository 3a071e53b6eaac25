from __future__ import annotations

import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.canonical import canonical_json
from contracts.packet import IncidentPacketV1, SuspectedOwner
from opsrunbook_dagster.actions.executor import execute_plan
from opsrunbook_dagster.planning.flags import flags_from_values
from opsrunbook_dagster.planning.planner import build_plan, finding_set_sha256
from tests import factories


def _packet(**overrides: object) -> IncidentPacketV1:
    return IncidentPacketV1.model_validate(factories.packet(**overrides)).with_hashes()


def _decisions(plan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {a.action_type.value: a.decision.value for a in plan.actions}


def test_plan_is_deterministic_and_ids_are_stable() -> None:
    packet = _packet()
    first, second = build_plan(packet, ActionFlags()), build_plan(packet, ActionFlags())
    assert canonical_json(first) == canonical_json(second)
    assert first.plan_sha256 and len({a.action_id for a in first.actions}) == 3
    assert all(a.idempotency_key.endswith(first.finding_set_sha256[:16]) for a in first.actions)


def test_finding_set_ignores_counts_but_not_what_was_found() -> None:
    base = _packet()
    more = _packet(findings=[factories.finding(count=99)])
    other = _packet(findings=[factories.finding(resource="other-fn")])
    assert finding_set_sha256(base) == finding_set_sha256(more)
    assert finding_set_sha256(base) != finding_set_sha256(other)


def test_pr_action_is_gated_by_flag_and_repo_confidence() -> None:
    packet = _packet()
    assert _decisions(build_plan(packet, ActionFlags())) == {
        "jira_ticket": "execute",
        "teams_notification": "execute",
        "github_pr": "skip",
    }
    enabled = ActionFlags(github_pr_enabled=True)
    low = packet.model_copy(
        update={"suspected_owners": [SuspectedOwner(repo="acme/x", confidence=0.5, method="heuristic")]}
    )
    high = packet.model_copy(
        update={"suspected_owners": [SuspectedOwner(repo="acme/x", confidence=0.95, method="mapping")]}
    )
    low_plan = build_plan(low, enabled)
    # Below the threshold the gate is applied at action time (stack-frame verification may lift it).
    assert _decisions(low_plan)["github_pr"] == "execute" and "below 0.7" in low_plan.actions[2].reason
    dry = {r.action_type: r for r in execute_plan(low, low_plan)}
    assert dry[ActionType.github_pr].status == ActionStatus.skipped
    assert "below 0.7" in dry[ActionType.github_pr].reason
    assert _decisions(build_plan(high, enabled))["github_pr"] == "execute"
    high_dry = {r.action_type: r for r in execute_plan(high, build_plan(high, enabled))}
    assert high_dry[ActionType.github_pr].status == ActionStatus.dry_run
    assert high_dry[ActionType.github_pr].request["path"] == "/repos/acme/x/pulls"  # type: ignore[index]


def test_no_actionable_findings_means_no_ticket_or_card() -> None:
    quiet = _packet(findings=[factories.finding(confidence=0.4, evidence_refs=[])])
    assert set(_decisions(build_plan(quiet, ActionFlags())).values()) == {"skip"}


def test_flags_parse_and_reject_garbage() -> None:
    flags = flags_from_values(
        {"AUTOMATION_ENABLED": "false", "ACTIONS_DRY_RUN": "0", "ENABLE_GITHUB_PR_ACTION": "yes"}
    )
    assert (flags.automation_enabled, flags.dry_run, flags.github_pr_enabled) == (False, False, True)
    assert flags_from_values({}).dry_run is True
    with pytest.raises(ValueError, match="ACTIONS_DRY_RUN"):
        flags_from_values({"ACTIONS_DRY_RUN": "maybe"})
