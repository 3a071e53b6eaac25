from __future__ import annotations

import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.canonical import canonical_json
from contracts.packet import IncidentPacketV1, SuspectedOwner
from opsrunbook_dagster.actions.executor import execute_plan
from opsrunbook_dagster.planning.flags import flags_from_values
from opsrunbook_dagster.planning.planner import build_plan, finding_set_sha256
from opsrunbook_dagster.replay.diffing import json_diffs
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


def test_json_diffs_name_the_changed_pointers() -> None:
    old = {"a": 1, "b": [1, 2], "c": {"d~/": 1}}
    new = {"a": 1, "b": [1, 3, 4], "c": {"d~/": 2}, "e": 0}
    assert json_diffs(old, new) == ["/b/1", "/b/2", "/c/d~0~1", "/e"]
    assert json_diffs(old, old) == []


def test_plan_replays_picks_completed_runs_and_rejects_the_rest() -> None:
    from opsrunbook_dagster.replay.planning import plan_replays
    from opsrunbook_dagster.stores.replays import ReplayRow

    def row(replay_id: str, **raw: object) -> ReplayRow:
        return ReplayRow.of({"replay_id": replay_id, "status": "REQUESTED", **raw})

    completed = {"inc-a": ["r1", "r2"], "inc-b": []}
    replays, rejected = plan_replays(
        [
            row("x", incident_id="inc-a"),
            row("y", incident_id="inc-a", run_ids=["r9"]),
            row("z", incident_id="inc-b"),
        ],
        lambda incident: completed[incident],
    )
    assert [(r.replay_id, run_ids) for r, run_ids in replays] == [("x", ["r1", "r2"])]
    assert [(r.replay_id, reason.split(":")[0]) for r, reason in rejected] == [
        ("y", "run_ids"),
        ("z", "incident inc-b has no completed runs to replay"),
    ]


def test_replay_outcome_is_match_diff_or_failed_with_the_reason_and_none_until_every_run_ended() -> None:
    from opsrunbook_dagster.replay.outcome import RunState, replay_outcome

    ok, running = RunState(True, True), RunState(False, False)
    both = {("r1", "packet"): True, ("r1", "plan"): True}
    assert replay_outcome(["r1"], {}, {}) is None
    assert replay_outcome(["r1"], {"r1": running}, {}) is None
    assert replay_outcome(["r1"], {"r1": ok}, both).status == "MATCH"  # type: ignore[union-attr]
    diff = replay_outcome(["r1"], {"r1": ok}, {**both, ("r1", "plan"): False})
    assert diff is not None and diff.status == "DIFF" and "r1/plan" in diff.reason
    missing = replay_outcome(["r1"], {"r1": ok}, {("r1", "packet"): True})
    assert missing is not None and missing.status == "FAILED" and "r1/plan" in missing.reason
    failed = replay_outcome(
        ["r1"], {"r1": RunState(True, False, "incident_packet: ObjectMissing: s3://b/k does not exist")}, {}
    )
    assert failed is not None and failed.status == "FAILED" and "ObjectMissing" in failed.reason


def test_oldest_pending_age_is_measured_from_the_oldest_row() -> None:
    from datetime import UTC, datetime

    from opsrunbook_dagster.pipeline.request_queue import oldest_pending_age_seconds
    from opsrunbook_dagster.stores.requests_table import RequestRow

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rows = [
        RequestRow("EVENT#b", "REQUESTED", "2026-01-01T11:59:30Z", {}),
        RequestRow("EVENT#a", "REQUESTED", "2026-01-01T11:58:00Z", {}),
    ]
    assert oldest_pending_age_seconds(rows, now) == 120.0
    assert oldest_pending_age_seconds([], now) == 0.0
