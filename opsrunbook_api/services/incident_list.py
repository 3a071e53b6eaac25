"""The incident list: newest first, filtered, one signed cursor per page (persistence in the store)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opsrunbook_api.schemas.incidents import IncidentListOut, IncidentSummary
from opsrunbook_api.services.errors import InvalidParameter
from opsrunbook_api.services.incidents import meta_fields
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.incident_listing import CURSOR_KEY_ATTRIBUTES, ListFilters, list_incidents
from opsrunbook_dagster.stores.page_cursor import CursorCodec, InvalidCursor, fingerprint
from opsrunbook_dagster.stores.table_keys import incident_pk


def summary(row: dict[str, Any]) -> IncidentSummary:
    incident_id = incident_pk.id_of(str(row["pk"]))
    latest = row.get("latest_run_id")
    return IncidentSummary(
        **meta_fields(incident_id, row),
        latest_run_id=str(latest) if latest else None,
        url=f"/v1/incidents/{incident_id}",
    )


@dataclass
class IncidentListService:
    deps: PipelineDeps
    #: The HMAC key cursors are signed with (read when the first list is asked for).
    cursor_secret: Callable[[], bytes]

    def _codec(self) -> CursorCodec:
        return CursorCodec(self.cursor_secret(), CURSOR_KEY_ATTRIBUTES)

    def list(self, filters: ListFilters, limit: int, cursor: str | None) -> IncidentListOut:
        query = fingerprint(filters.as_strings())
        codec = self._codec()
        start = None
        if cursor is not None:
            try:
                start = codec.decode(cursor, query)
            except InvalidCursor as exc:
                raise InvalidParameter(
                    "cursor", f"not a cursor of this listing ({exc}); start again without one"
                ) from exc
        page = list_incidents(
            self.deps.client("dynamodb"), self.deps.names.incidents_table, filters, limit, start
        )
        return IncidentListOut(
            items=[summary(r) for r in page.rows],
            next_cursor=codec.encode(page.next_key, query) if page.next_key else None,
            limit=limit,
        )
