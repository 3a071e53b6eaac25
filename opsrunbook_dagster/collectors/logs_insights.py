"""CloudWatch Logs Insights mechanics: query strings, polling with backoff, result parsing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Error-like lines (what analysis mines for signatures).
ERROR_PATTERN = (
    r"(?i)(error|exception|fail|fatal|panic|traceback|timed out|timeout|throttl|denied|refused|"
    r"outofmemory|out of memory|killed|exceeded|unavailable|rate exceeded|\b5\d\d )"
)
#: Lambda platform REPORT lines (durations, memory, init duration).
REPORT_PATTERN = r"^REPORT RequestId"
TERMINAL_STATUSES = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})


def query_string(pattern: str, limit: int) -> str:
    return (
        "fields @timestamp, @message, @logStream, @log"
        f" | filter @message like /{pattern}/"
        " | sort @timestamp desc"
        f" | limit {limit}"
    )


def parse_timestamp(value: str) -> datetime:
    """Insights returns ``2026-11-26 21:01:27.095``; some backends return epoch milliseconds."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    text = value.replace(" ", "T")
    moment = datetime.fromisoformat(text if ("+" in text or text.endswith("Z")) else text + "+00:00")
    return moment.astimezone(UTC)


def parse_results(results: list[list[dict[str, str]]]) -> list[dict[str, str]]:
    """Each result row as ``{field: value}`` (``@ptr`` dropped)."""
    rows = []
    for row in results:
        rows.append({cell["field"]: cell.get("value", "") for cell in row if cell.get("field") != "@ptr"})
    return rows


def matches(pattern: str, message: str) -> bool:
    """Client-side check of the query's filter (some backends ignore ``filter``)."""
    return re.search(pattern, message) is not None


@dataclass
class PendingQuery:
    query_id: str
    key: str
    status: str = "Scheduled"
    results: list[list[dict[str, str]]] = field(default_factory=list)
    statistics: dict[str, float] = field(default_factory=dict)


@dataclass
class InsightsPoller:
    """Poll many queries until all finish or the deadline passes; stop the stragglers."""

    client: Any
    deadline_s: float = 60.0
    initial_delay_s: float = 0.2
    max_delay_s: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def wait(self, queries: list[PendingQuery]) -> list[PendingQuery]:
        deadline = self.clock() + self.deadline_s
        delay = self.initial_delay_s
        pending = [q for q in queries if q.status not in TERMINAL_STATUSES]
        first = True
        while pending:
            # The first look is immediate (cheap, and some backends finish at once); then 0.2 s doubling to 2 s.
            if not first:
                self.sleep(delay)
                delay = min(delay * 2, self.max_delay_s)
            first = False
            for query in pending:
                try:
                    response = self.client.get_query_results(queryId=query.query_id)
                except Exception:  # throttled/denied after the client's retries: give up on this query
                    query.status = "Failed"
                    continue
                query.status = response.get("status", "Unknown")
                query.results = response.get("results", [])
                query.statistics = {k: float(v) for k, v in (response.get("statistics") or {}).items()}
            pending = [q for q in pending if q.status not in TERMINAL_STATUSES]
            if pending and self.clock() >= deadline:
                for query in pending:
                    try:
                        self.client.stop_query(queryId=query.query_id)
                    except Exception:  # best effort: it may have finished meanwhile
                        pass
                    query.status = "Timeout"
                break
        return queries
