"""Replay requests (a row for a Dagster sensor to turn into a backfill) and their recorded outcomes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_api.schemas.replays import ReplayCheckOut, ReplayOut
from opsrunbook_api.services.errors import Invalid, NotFound
from opsrunbook_api.services.incidents import IncidentService
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import PENDING, from_item, to_item

KINDS = ("packet", "plan")


def new_replay_id() -> str:
    return f"rp-{uuid.uuid4().hex[:12]}"


@dataclass
class ReplayService:
    deps: PipelineDeps
    incidents: IncidentService

    def request(self, incident_id: str, run_ids: list[str] | None) -> dict[str, Any]:
        """Write the REPLAY#… request row (pending for the sensor); returns the row."""
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
        replay_id = new_replay_id()
        row = {
            "pk": f"REPLAY#{replay_id}",
            "sk": "REQUEST",
            "kind": "replay",
            "replay_id": replay_id,
            "incident_id": incident_id,
            "run_ids": run_ids or None,
            "status": "REQUESTED",
            "queue": PENDING,
            "created_at": format_datetime(datetime.now(UTC)),
        }
        self.deps.client("dynamodb").put_item(
            TableName=self.deps.names.incident_requests_table,
            Item=to_item(row),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return row

    def status(self, incident_id: str, replay_id: str) -> ReplayOut:
        self.incidents.meta(incident_id)
        item = (
            self.deps.client("dynamodb")
            .get_item(
                TableName=self.deps.names.incident_requests_table,
                Key=to_item({"pk": f"REPLAY#{replay_id}", "sk": "REQUEST"}),
                ConsistentRead=True,
            )
            .get("Item")
        )
        row = from_item(item) if item else None
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
                for c in self.deps.incidents.rows(incident_id, f"REPLAYCHECK#{replay_id}#")
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
