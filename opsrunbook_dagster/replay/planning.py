"""Which runs a replay request covers (pure): the ones it names, or every completed run; and the
request queue's launches for those that have no Dagster run yet."""

from __future__ import annotations

from collections.abc import Callable, Collection

from contracts.ids import partition_key
from opsrunbook_dagster.replay import REPLAY_SUBJECT
from opsrunbook_dagster.stores.replays import ReplayRow
from opsrunbook_dagster.stores.request_queue import Launch
from opsrunbook_dagster.stores.table_keys import replay_pk


def plan_replays(
    rows: list[ReplayRow], completed_runs: Callable[[str], list[str]]
) -> tuple[list[tuple[ReplayRow, list[str]]], list[tuple[ReplayRow, str]]]:
    """New requests → (row, run ids to rebuild); rows naming nothing replayable → (row, reason)."""
    replays: list[tuple[ReplayRow, list[str]]] = []
    rejections: list[tuple[ReplayRow, str]] = []
    for row in rows:
        if row.status != "REQUESTED":
            continue
        completed = completed_runs(row.incident_id)
        wanted = row.run_ids or completed
        unknown = sorted(set(wanted) - set(completed))
        if unknown:
            rejections.append(
                (row, f"run_ids: not completed runs of {row.incident_id}: {', '.join(unknown)}")
            )
        elif not wanted:
            rejections.append((row, f"incident {row.incident_id} has no completed runs to replay"))
        else:
            replays.append((row, sorted(wanted)))
    return replays, rejections


def replay_launches(row: ReplayRow, started: Collection[str], slots: int) -> list[Launch]:
    """One launch per replayed run that has no Dagster run yet (``started``: its run ids), at most
    ``slots``. The run key is (replay, run), so a lost tick or a second daemon cannot launch one
    twice; the row itself was claimed once, when it moved to the active queue."""
    missing = [run_id for run_id in row.run_ids or [] if run_id not in started][: max(0, slots)]
    return [
        Launch(
            row_pk=replay_pk(row.replay_id),
            partition_key=partition_key(row.incident_id, run_id),
            run_key=f"{row.replay_id}:{run_id}",
            resumed=False,
            subject={"incident": row.incident_id, REPLAY_SUBJECT: row.replay_id},
        )
        for run_id in missing
    ]
