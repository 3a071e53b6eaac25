"""The request queue a sensor drains: rows waiting in a table become runs, each exactly once.

Shared by incident requests (``pipeline.intake.plan_tick``), GitHub review deliveries
(``pr_review.review_tick.plan_review_tick``) and replays (``replay.planning.replay_launches``); the
Dagster sensors are thin adapters over it (``defs/run_queue.py``: the in-flight cap and one
``RunRequest`` per ``Launch``). A replay differs in one way: its row stands for several runs, so it
is claimed once (REQUESTED → SCHEDULED onto the ``replay-active`` queue, ``stores/replays.py``) and
stays there, one launch per replayed run still without a Dagster run, until its outcome is known.
For incident requests and reviews a tick:

1. reads the queued rows (``RequestStore.pending``) and plans them: a ``Launch`` per valid row,
   a rejection (with the reason) per invalid one;
2. ``take``: a row already SCHEDULED whose run exists leaves the queue (de-duplication by run key);
   at most ``slots`` rows are taken per tick, the rest stay queued in order; each row is claimed
   by a conditional write first (REQUESTED → SCHEDULED, or a stale SCHEDULED re-taken), so of two
   daemons ticking at once exactly one requests the run, and a claim lost means no request.

A row leaves the queue when its run ends (``status.forward``) or is rejected. No Dagster here.

A tick with nothing to do may wait for work (``poll_until`` with ``has_work``): Dagster's sensor
daemon evaluates sensors once per 5 s loop, so a row written just after a tick would otherwise wait
for the next loop (2.5 s on average), and so would a slot freed by a finished run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.requests_table import RequestRow, RequestStore

#: Prefix of OpsRunbook's own run tags: a launch's ``subject`` becomes ``opsrunbook/<name>`` tags.
TAG_PREFIX = "opsrunbook/"
#: How often a waiting tick looks again (``poll_until``).
POLL_SECONDS = 0.25

T = TypeVar("T")


@dataclass(frozen=True)
class Launch:
    """One run to request for a queued row."""

    row_pk: str
    partition_key: str
    #: Dagster run key (de-duplicates the run): for incident requests the partition key, suffixed
    #: with the submission number after a resubmission (a new attempt must not be swallowed).
    run_key: str
    #: True when the row was already SCHEDULED (a re-request after a lost tick).
    resumed: bool
    #: When the row was SCHEDULED (None for a new row): a re-request waits until this is stale.
    scheduled_at: str | None = None
    #: What the run is about (e.g. incident_id, run_id, event_id), carried as its tags.
    subject: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, row: RequestRow, partition_key: str, run_key: str, **subject: str) -> Launch:
        scheduled_at = row.raw.get("scheduled_at")
        return cls(
            row_pk=row.pk,
            partition_key=partition_key,
            run_key=run_key,
            resumed=row.status == "SCHEDULED",
            scheduled_at=str(scheduled_at) if scheduled_at else None,
            subject=subject,
        )


@dataclass
class TickPlan:
    launches: list[Launch] = field(default_factory=list)
    #: (row pk, reason) of rows that can never run.
    rejections: list[tuple[str, str]] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def claim(
    store: RequestStore, launch: Launch, stale_after_seconds: float, clock: Callable[[], datetime] = _now
) -> bool:
    """Take the row for this tick: REQUESTED → SCHEDULED, or, for a row already SCHEDULED whose run
    never appeared (a lost tick), re-take it once its schedule is ``stale_after_seconds`` old. Both
    are conditional writes: False when another tick (a second daemon) has the row."""
    now = clock()
    if not launch.resumed:
        return store.transition(
            launch.row_pk,
            from_status="REQUESTED",
            to_status="SCHEDULED",
            dequeue=False,
            scheduled_at=format_datetime(now),
        )
    return store.reclaim(launch.row_pk, launch.scheduled_at, now, stale_after_seconds=stale_after_seconds)


def take(
    store: RequestStore,
    launches: list[Launch],
    *,
    slots: int,
    run_exists: Callable[[str], bool],
    stale_after_seconds: float,
    clock: Callable[[], datetime] = _now,
) -> list[Launch]:
    """The launches this tick requests (see the module docstring); ``run_exists(run_key)`` asks the
    orchestrator whether a run with that key was already created."""
    taken: list[Launch] = []
    for launch in launches:
        if launch.resumed and run_exists(launch.run_key):
            store.transition(launch.row_pk, from_status="SCHEDULED", to_status="SCHEDULED", dequeue=True)
            continue
        if len(taken) >= slots:
            continue  # backpressure: stays queued (and in order) until runs finish
        if not claim(store, launch, stale_after_seconds, clock):
            continue  # another tick (a second daemon during a rolling deploy) has this row
        taken.append(launch)
    return taken


def oldest_pending_age_seconds(rows: list[RequestRow], now: datetime) -> float:
    """Seconds the oldest waiting request has waited (0 with none): what an operator alarms on."""
    created = [r.created_at for r in rows if r.created_at]
    if not created:
        return 0.0
    oldest = datetime.fromisoformat(min(created).replace("Z", "+00:00"))
    return round(max(0.0, (now - oldest).total_seconds()), 3)


def has_work(plan: TickPlan, slots: int) -> bool:
    """Whether a tick has something to do now: a row to reject, or a new row to launch and a slot.
    Rows already SCHEDULED are not reason enough (``take`` still handles them at the tick's end):
    they wait for their run to exist, or for their schedule to go stale."""
    return bool(plan.rejections) or (slots > 0 and any(not launch.resumed for launch in plan.launches))


def poll_until(
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    budget_s: float,
    first: T | None = None,
    poll_s: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``probe()`` until ``done`` says its value will do or another look would pass ``budget_s``;
    the last value. The first look is immediate (a budget of 0 is one look) unless ``first``, a
    value the caller has just looked at, stands for it."""
    deadline = clock() + budget_s
    value = probe() if first is None else first
    while not done(value) and clock() + poll_s <= deadline:
        sleep(poll_s)
        value = probe()
    return value
