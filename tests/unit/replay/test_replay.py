"""Replay's domain code: which runs a request covers, its terminal status, where objects differ."""

from __future__ import annotations

from opsrunbook_dagster.replay.diffing import json_diffs
from opsrunbook_dagster.replay.outcome import RunState, replay_outcome
from opsrunbook_dagster.replay.planning import plan_replays
from opsrunbook_dagster.stores.replays import ReplayRow


def test_json_diffs_name_the_changed_pointers() -> None:
    old = {"a": 1, "b": [1, 2], "c": {"d~/": 1}}
    new = {"a": 1, "b": [1, 3, 4], "c": {"d~/": 2}, "e": 0}
    assert json_diffs(old, new) == ["/b/1", "/b/2", "/c/d~0~1", "/e"]
    assert json_diffs(old, old) == []


def test_plan_replays_picks_completed_runs_and_rejects_the_rest() -> None:
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
