"""A replay's terminal status from its runs and the checks they recorded (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

KINDS = ("packet", "plan")
#: Statuses a replay request ends in; REJECTED is decided at intake (nothing to replay).
TERMINAL = frozenset({"MATCH", "DIFF", "FAILED", "REJECTED"})


@dataclass(frozen=True)
class RunState:
    """The Dagster run that replayed one partition: ``finished`` and, for a failure, its error."""

    finished: bool
    succeeded: bool
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str


def replay_outcome(
    run_ids: list[str], runs: Mapping[str, RunState], matches: Mapping[tuple[str, str], bool]
) -> Outcome | None:
    """None while a run is missing or unfinished; else MATCH (every rebuild equal to what is
    stored), DIFF (some differ; the checks hold where) or FAILED with what failed."""
    if any(run_id not in runs or not runs[run_id].finished for run_id in run_ids):
        return None
    failed = [
        f"{run_id}: {runs[run_id].error or 'the run failed'}"
        for run_id in run_ids
        if not runs[run_id].succeeded
    ]
    if failed:
        return Outcome("FAILED", "; ".join(failed)[:1000])
    missing = [f"{run_id}/{kind}" for run_id in run_ids for kind in KINDS if (run_id, kind) not in matches]
    if missing:
        return Outcome("FAILED", f"no replay check recorded for {', '.join(missing)}")
    differing = [f"{run_id}/{kind}" for run_id in run_ids for kind in KINDS if not matches[(run_id, kind)]]
    if differing:
        return Outcome("DIFF", f"rebuilt objects differ from the stored ones: {', '.join(differing)}")
    return Outcome("MATCH", f"{len(run_ids)} run(s) rebuilt byte for byte")
