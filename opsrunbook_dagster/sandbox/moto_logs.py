"""Logs Insights query results in the sandbox: kept for the most recent queries only.

moto keeps every ``StartQuery``'s full result (one dict per matching event) for the life of the
server, so a sandbox that serves incidents for half an hour grows by every query it ever ran (the
30-minute soak: the sandbox went from 0.2 to 3 GB while every product process stayed flat).
CloudWatch itself keeps results for a limited time and answers ``GetQueryResults`` for an
expired query with ``ResourceNotFoundException``; ``install()`` (called by the sandbox server at
start) gives the sandbox the same shape with a bound on the number of queries instead of a clock:
the oldest results are dropped once more than ``KEEP_QUERIES`` are held. A collector reads its
results within seconds of starting the query, far inside that bound.
"""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.models import LogsBackend

#: Results the sandbox holds at most (oldest dropped first); a collector run starts a handful.
KEEP_QUERIES = 256
_MARK = "_opsrunbook_bounded"


def _start_query(original: Any) -> Any:
    def start_query(self: LogsBackend, *args: Any, **kwargs: Any) -> str:
        query_id = original(self, *args, **kwargs)
        excess = len(self.queries) - KEEP_QUERIES
        for old in list(self.queries)[: max(0, excess)]:  # dicts keep insertion order: oldest first
            self.queries.pop(old, None)
        return query_id  # type: ignore[no-any-return]

    setattr(start_query, _MARK, True)
    return start_query


def _get_query_results(self: LogsBackend, query_id: str) -> Any:
    query = self.queries.get(query_id)
    if query is None:
        raise ResourceNotFoundException(f"Query {query_id} does not exist or its results expired.")
    return query


def install() -> None:
    """Bound the results moto holds (idempotent; moto's backends are process-wide)."""
    if getattr(LogsBackend.start_query, _MARK, False):
        return
    LogsBackend.start_query = _start_query(LogsBackend.start_query)  # type: ignore[method-assign]
    LogsBackend.get_query_results = _get_query_results  # type: ignore[method-assign]
