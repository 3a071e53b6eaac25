"""Replay requests (a row the replay sensor turns into runs) and their recorded outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsrunbook_api.schemas.replays import ReplayCheckOut, ReplayOut
from opsrunbook_api.services.errors import Conflict, Invalid, NotFound
from opsrunbook_api.services.incidents import IncidentService
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.replay.outcome import KINDS
from opsrunbook_dagster.stores.replays import ReplayInProgress


@dataclass
class ReplayService:
    deps: PipelineDeps
    incidents: IncidentService

    def request(self, incident_id: str, run_ids: list[str] | None) -> dict[str, Any]:
        """Store a replay request (one per incident in flight: Conflict while another runs)."""
        self.incidents.meta(incident_id)
        if run_ids:
            known = {str(r.get("run_id")) for r in self.incidents.run_rows(incident_id)}
            unknown = [i for i, run_id in enumerate(run_ids) if run_id not in known]
            if unknown:
                raise Invalid(
                    f"run_ids.{unknown[0]}: run {run_ids[unknown[0]]} does not belong to incident {incident_id}",
                    {"unknown_run_ids": [run_ids[i] for i in unknown]},
                )
            run_ids = list(dict.fromkeys(run_ids))
        try:
            row = self.deps.replays.request(incident_id, run_ids)
        except ReplayInProgress as exc:
            raise Conflict(str(exc), {"active_replay_id": exc.active_replay_id}) from exc
        return row.raw

    def status(self, incident_id: str, replay_id: str) -> ReplayOut:
        self.incidents.meta(incident_id)
        replay = self.deps.replays.get(replay_id)
        row = replay.raw if replay is not None else None
        if row is None or row.get("incident_id") != incident_id:
            raise NotFound(
                f"replay {replay_id} of incident {incident_id} not found",
                {"incident_id": incident_id, "replay_id": replay_id},
            )
        checks = sorted(
            (
                ReplayCheckOut(
                    run_id=str(c.get("run_id", "")),
                    kind=str(c.get("kind", "")),
                    match=bool(c.get("match")),
                    diffs=[str(d) for d in c.get("diffs") or []],
                    divergent_key=str(c["divergent_key"]) if c.get("divergent_key") else None,
                )
                for c in self.deps.incidents.replay_checks(incident_id, replay_id)
            ),
            key=lambda c: (c.run_id, c.kind),
        )
        run_ids = [str(r) for r in row["run_ids"]] if row.get("run_ids") else None
        expected = run_ids or sorted({c.run_id for c in checks})
        seen = {(c.run_id, c.kind) for c in checks}
        complete = bool(expected) and all((r, k) in seen for r in expected for k in KINDS)
        return ReplayOut(
            replay_id=replay_id,
            incident_id=incident_id,
            status=str(row.get("status", "")),
            reason=str(row["reason"]) if row.get("reason") else None,
            created_at=str(row["created_at"]) if row.get("created_at") else None,
            run_ids=run_ids,
            checks=checks,
            match=all(c.match for c in checks) if checks else None,
            complete=complete,
        )
