"""The incidents, snapshots and packets tables: run status and metadata rows per incident.

Key layout: ``pk = INCIDENT#{incident_id}`` with ``sk`` one of ``META``, ``RUN#{run_id}``,
``ACTIONPLAN#{run_id}``, ``ACTION#{action_id}``, ``ACTIONS#LATEST`` (incidents table),
``SNAPSHOT#{run_id}`` (snapshots table) and ``PACKET#{run_id}`` (packets table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.requests_table import from_item, to_item
from opsrunbook_dagster.stores.row_update import update_row
from opsrunbook_dagster.stores.run_status import allowed_from
from opsrunbook_dagster.stores.serialization import projection
from opsrunbook_dagster.stores.table_keys import (
    ACTIONS_LATEST_SK,
    META_SK,
    action_plan_sk,
    incident_key,
    incident_pk,
    packet_sk,
    replay_check_sk,
    replay_checks_prefix,
    run_sk,
    snapshot_sk,
)


def _now() -> str:
    return format_datetime(datetime.now(UTC))


@dataclass
class IncidentStore:
    dynamodb: Any
    incidents_table: str
    snapshots_table: str
    packets_table: str

    def _get(self, table: str, incident_id: str, sk: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=table, Key=to_item(incident_key(incident_id, sk)), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def meta(self, incident_id: str) -> dict[str, Any] | None:
        return self._get(self.incidents_table, incident_id, META_SK)

    def run(self, incident_id: str, run_id: str) -> dict[str, Any] | None:
        return self._get(self.incidents_table, incident_id, run_sk(run_id))

    def rows(
        self,
        incident_id: str,
        prefix: str,
        table: str | None = None,
        page_size: int | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]:
        """Every row of the incident whose sort key starts with ``prefix``, in sort-key order, across
        as many pages as DynamoDB returns (a query page stops at 1 MB; ``page_size`` caps it lower);
        only ``fields`` when given (e.g. without a run's 256 KB request body)."""
        paging = {"PageSize": page_size} if page_size else {}
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=table or self.incidents_table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": incident_pk(incident_id), ":prefix": prefix}),
            ConsistentRead=True,
            PaginationConfig=paging,
            **projection(fields),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def runs(self, incident_id: str, fields: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Every RUN row of the incident (only ``fields`` when given)."""
        return self.rows(incident_id, run_sk.prefix, fields=fields)

    def replay_checks(self, incident_id: str, replay_id: str) -> list[dict[str, Any]]:
        """The check rows (one per replayed run and kind) recorded by replay ``replay_id``."""
        return self.rows(incident_id, replay_checks_prefix(replay_id))

    def actions_latest(self, incident_id: str) -> dict[str, Any] | None:
        """The ``ACTIONS#LATEST`` row: which run's action results are the latest."""
        return self._get(self.incidents_table, incident_id, ACTIONS_LATEST_SK)

    def recorded_row(self, table: str, incident_id: str, sk: str) -> dict[str, Any] | None:
        """One row of the incident in ``table`` (e.g. ``snapshot_sk(run_id)`` in the snapshots table)."""
        return self._get(table, incident_id, sk)

    def _update(
        self,
        table: str,
        incident_id: str,
        sk: str,
        values: dict[str, Any],
        condition: str | None = None,
        condition_names: dict[str, str] | None = None,
        condition_values: dict[str, Any] | None = None,
    ) -> bool:
        key = incident_key(incident_id, sk)
        return update_row(self.dynamodb, table, key, values, condition, condition_names, condition_values)

    def _forward(self, incident_id: str, sk: str, status: str, values: dict[str, Any]) -> bool:
        """Write ``values`` only if it moves the row's status forward (late writers cannot regress it)."""
        earlier = sorted(allowed_from(status))
        placeholders = {f":c{i}": s for i, s in enumerate(earlier)}
        condition = "attribute_not_exists(#cs)" + (
            f" OR #cs IN ({', '.join(placeholders)})" if earlier else ""
        )
        return self._update(
            self.incidents_table, incident_id, sk, values, condition, {"#cs": "status"}, placeholders
        )

    def set_run_status(self, incident_id: str, run_id: str, status: str, **extra: Any) -> bool:
        """Move the RUN row (and META, when this is the latest run) forward to ``status``."""
        values = {"status": status, "updated_at": _now(), **{k: v for k, v in extra.items() if v is not None}}
        moved = self._forward(incident_id, run_sk(run_id), status, values)
        meta = self.meta(incident_id)
        if moved and (meta is None or meta.get("latest_run_id") == run_id):
            meta_values = {"status": status, "updated_at": values["updated_at"], "latest_run_id": run_id}
            meta_values.update(
                {k: extra[k] for k in ("reason", "attempt", "last_error") if extra.get(k) is not None}
            )
            self._forward(incident_id, META_SK, status, meta_values)
        return moved

    def put_snapshot_row(self, incident_id: str, run_id: str, values: dict[str, Any]) -> None:
        self._update(
            self.snapshots_table,
            incident_id,
            snapshot_sk(run_id),
            {**values, "updated_at": _now()},
        )

    def put_packet_row(self, incident_id: str, run_id: str, values: dict[str, Any]) -> None:
        self._update(
            self.packets_table,
            incident_id,
            packet_sk(run_id),
            {**values, "updated_at": _now()},
        )

    def put_plan_row(self, incident_id: str, run_id: str, values: dict[str, Any]) -> None:
        self._update(
            self.incidents_table,
            incident_id,
            action_plan_sk(run_id),
            {**values, "updated_at": _now()},
        )

    def set_actions_latest(self, incident_id: str, run_id: str, values: dict[str, Any]) -> None:
        self._update(
            self.incidents_table,
            incident_id,
            ACTIONS_LATEST_SK,
            {**values, "run_id": run_id, "updated_at": _now()},
        )

    def put_replay_row(
        self, incident_id: str, replay_id: str, run_id: str, kind: str, values: dict[str, Any]
    ) -> None:
        """Outcome of rebuilding ``kind`` (packet|plan) of one run during replay ``replay_id``."""
        self._update(
            self.incidents_table,
            incident_id,
            replay_check_sk(replay_id, run_id, kind),
            {**values, "replay_id": replay_id, "run_id": run_id, "kind": kind, "updated_at": _now()},
        )
