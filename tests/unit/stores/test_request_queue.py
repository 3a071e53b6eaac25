"""The shared request queue's pure helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from opsrunbook_dagster.stores.request_queue import (
    Launch,
    TickPlan,
    has_work,
    oldest_pending_age_seconds,
    poll_until,
)
from opsrunbook_dagster.stores.requests_table import RequestRow
from tests.fake_clock import FakeClock


def test_oldest_pending_age_is_measured_from_the_oldest_row() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rows = [
        RequestRow("EVENT#b", "REQUESTED", "2026-01-01T11:59:30Z", {}),
        RequestRow("EVENT#a", "REQUESTED", "2026-01-01T11:58:00Z", {}),
    ]
    assert oldest_pending_age_seconds(rows, now) == 120.0
    assert oldest_pending_age_seconds([], now) == 0.0


def test_poll_until_returns_the_first_value_that_will_do() -> None:
    clock = FakeClock()
    values = iter([0, 0, 3, 9])
    got = poll_until(
        lambda: next(values), lambda v: v > 0, budget_s=3.5, poll_s=0.25, clock=clock.clock, sleep=clock.sleep
    )
    assert got == 3
    assert clock.sleeps == [0.25, 0.25]


def test_poll_until_stops_within_its_budget_with_the_last_value() -> None:
    clock = FakeClock()
    looks: list[float] = []

    def probe() -> int:
        looks.append(clock.now)
        return len(looks)

    got = poll_until(probe, lambda v: False, budget_s=1.0, poll_s=0.25, clock=clock.clock, sleep=clock.sleep)
    assert got == 5  # looks at 0, .25, .5, .75, 1.0 s: never past the budget
    assert looks[-1] - looks[0] <= 1.0


def test_poll_until_with_no_budget_looks_once() -> None:
    clock = FakeClock()
    got = poll_until(lambda: 0, lambda v: False, budget_s=0.0, clock=clock.clock, sleep=clock.sleep)
    assert got == 0
    assert clock.sleeps == []


def test_a_tick_has_work_with_a_rejection_or_a_launch_and_a_slot() -> None:
    launch = Launch(row_pk="EVENT#a", partition_key="i|r", run_key="i|r", resumed=False)
    assert not has_work(TickPlan(), slots=8)
    assert not has_work(TickPlan(launches=[launch]), slots=0)  # full: wait for a slot
    assert has_work(TickPlan(launches=[launch]), slots=1)
    assert has_work(TickPlan(rejections=[("EVENT#b", "bad window")]), slots=0)
    scheduled = Launch(row_pk="EVENT#c", partition_key="i|c", run_key="i|c", resumed=True)
    assert not has_work(TickPlan(launches=[scheduled]), slots=8)  # launched already: waits for its run
