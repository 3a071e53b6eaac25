"""Which runs a replay request covers (pure): the ones it names, or every completed run."""

from __future__ import annotations

from collections.abc import Callable

from opsrunbook_dagster.stores.replays import ReplayRow


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
