"""The S3 key layout documented in docs/architecture.md, pinned: stored objects outlive a release."""

from opsrunbook_dagster.stores.keys import pr_fix_plan_key, pr_review_event_key, replay_chart_key


def test_replay_chart_copies_go_under_replays_with_a_short_digest() -> None:
    key = replay_chart_key("inc-1", "run-2", "f-3", "ab" * 32)
    assert key == "replays/charts/inc-1/run-2/f-3-abababababababab.png"


def test_pr_review_objects_are_grouped_by_delivery() -> None:
    assert pr_review_event_key("d-1") == "pr-reviews/d-1/event.json"
    assert pr_fix_plan_key("d-1") == "pr-reviews/d-1/plan.json"
