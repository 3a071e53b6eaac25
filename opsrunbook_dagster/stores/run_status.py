"""The statuses a request/run row moves through, and which moves are allowed.

Several writers race on one row (the intake sensor, the run itself, the run-status sensors, a
resubmission), so every write is conditional on the row's current status: a late writer can never
move a row backwards. ``RETRYING`` and ``RUNNING`` may alternate (a failed attempt that Dagster
retries, then the retry starting), and ``RETRYING`` may follow itself (a retry whose worker died
before its first step wrote RUNNING: the row takes the new attempt's number); terminal statuses only give way to ``SUCCEEDED`` (a late success
of the same run) or to a resubmission, which starts a new attempt explicitly.
"""

from __future__ import annotations

#: Display order, highest = furthest on (used to pick the further of two rows' statuses).
STATUS_RANK = {
    "REQUESTED": 0,
    "SCHEDULED": 1,
    "RUNNING": 2,
    "RETRYING": 2,
    "REJECTED": 3,
    "FAILED": 3,
    "CANCELED": 3,
    "SUCCEEDED": 4,
}
ACTIVE = frozenset({"REQUESTED", "SCHEDULED", "RUNNING", "RETRYING"})
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "REJECTED", "CANCELED"})
#: A resubmission of the same request may start a new attempt only from these.
RESUBMITTABLE = frozenset({"FAILED", "CANCELED"})

_FROM: dict[str, frozenset[str]] = {
    "REQUESTED": frozenset(),
    "SCHEDULED": frozenset({"REQUESTED"}),
    "RUNNING": frozenset({"REQUESTED", "SCHEDULED", "RETRYING"}),
    "RETRYING": frozenset({"REQUESTED", "SCHEDULED", "RUNNING", "RETRYING"}),
    "REJECTED": ACTIVE,
    "FAILED": ACTIVE,
    "CANCELED": ACTIVE,
    "SUCCEEDED": ACTIVE | {"FAILED", "CANCELED"},
}


def allowed_from(status: str) -> frozenset[str]:
    """The statuses a row may be in for a forward move to ``status`` to apply."""
    return _FROM.get(status, frozenset())
