"""Logs collector: error-like rows and Lambda REPORT lines for the incident and baseline windows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.base import TimeWindow
from contracts.evidence import LogQuery, LogRow, LogsEvidenceV1, SourceResult, SourceStatus
from opsrunbook_dagster.collectors.budgets import Budgets, CollectRequest, truncate_text
from opsrunbook_dagster.collectors.errors import describe_error, failed_source
from opsrunbook_dagster.collectors.logs_insights import (
    ERROR_PATTERN,
    REPORT_PATTERN,
    InsightsPoller,
    PendingQuery,
    matches,
    parse_results,
    parse_timestamp,
    query_string,
)

MAX_GROUPS_PER_QUERY = 50


def lambda_name(ref: str) -> str:
    """Function name from a name or ARN (qualifier dropped)."""
    if ref.startswith("arn:"):
        return ref.split(":function:", 1)[1].split(":", 1)[0]
    return ref.split(":", 1)[0]


def hinted_log_groups(request: CollectRequest) -> list[str]:
    hints = request.event.hints
    groups = list(hints.log_groups)
    groups += [f"/aws/lambda/{lambda_name(fn)}" for fn in hints.lambda_functions]
    return list(dict.fromkeys(groups))


@dataclass
class LogsCollector:
    client: Any
    budgets: Budgets = field(default_factory=Budgets)
    poller_factory: Callable[[Any], InsightsPoller] = InsightsPoller
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def _existing_groups(self, groups: list[str], sources: list[SourceResult]) -> list[str]:
        existing = []
        for group in groups:
            try:
                found = self.client.describe_log_groups(logGroupNamePrefix=group, limit=50)["logGroups"]
            except Exception as exc:  # AccessDenied, throttling, …: this group is unreadable
                sources.append(failed_source(group, exc))
                continue
            if any(g["logGroupName"] == group for g in found):
                existing.append(group)
            else:
                sources.append(
                    SourceResult(
                        source=group,
                        status=SourceStatus.skipped,
                        error_code="ResourceNotFoundException",
                        error_message="log group does not exist",
                    )
                )
        return existing

    def _start(self, batch: list[str], window: TimeWindow, pattern: str, limit: int) -> str:
        response = self.client.start_query(
            logGroupNames=batch,
            startTime=int(window.start.timestamp()),
            endTime=int(window.end.timestamp()),
            queryString=query_string(pattern, limit),
        )
        return str(response["queryId"])

    def collect(self, request: CollectRequest) -> LogsEvidenceV1:
        sources: list[SourceResult] = []
        groups = self._existing_groups(hinted_log_groups(request), sources)
        windows = {"incident": request.window, "baseline": request.baseline_window}
        kinds = {"errors": (ERROR_PATTERN, self.budgets.rows_per_query)}
        kinds["reports"] = (REPORT_PATTERN, self.budgets.report_rows_per_query)
        pending: list[tuple[PendingQuery, list[str], str, str]] = []
        batches = [groups[i : i + MAX_GROUPS_PER_QUERY] for i in range(0, len(groups), MAX_GROUPS_PER_QUERY)]
        failed_batches: set[int] = set()
        for index, batch in enumerate(batches):
            for window_name, window in windows.items():
                for kind, (pattern, limit) in kinds.items():
                    if index in failed_batches:
                        continue
                    try:
                        query_id = self._start(batch, window, pattern, limit)
                    except Exception as exc:
                        # Once per batch; partial when some of its queries did start.
                        failed_batches.add(index)
                        started = any(p[1] is batch for p in pending)
                        status = SourceStatus.partial if started else SourceStatus.failed
                        sources.extend(failed_source(g, exc, status) for g in batch)
                        continue
                    pending.append(
                        (PendingQuery(query_id, f"{index}:{window_name}:{kind}"), batch, window_name, kind)
                    )
        self.poller_factory(self.client).wait([p[0] for p in pending])
        return self._assemble(request, groups, batches, failed_batches, pending, sources, windows, kinds)

    def _assemble(
        self,
        request: CollectRequest,
        groups: list[str],
        batches: list[list[str]],
        failed_batches: set[int],
        pending: list[tuple[PendingQuery, list[str], str, str]],
        sources: list[SourceResult],
        windows: dict[str, TimeWindow],
        kinds: dict[str, tuple[str, int]],
    ) -> LogsEvidenceV1:
        rows: list[LogRow] = []
        queries: list[LogQuery] = []
        limits: list[str] = []
        truncated = False
        batch_status: dict[int, tuple[SourceStatus, str | None]] = {}
        for query, batch, window_name, kind in pending:
            pattern, limit = kinds[kind]
            window = windows[window_name]
            kept = 0
            for raw in parse_results(query.results):
                message = raw.get("@message", "")
                if not matches(pattern, message):
                    continue
                timestamp = parse_timestamp(raw.get("@timestamp", "0"))
                if not window.start <= timestamp < window.end:
                    continue  # Insights' endTime is inclusive; windows are half-open [start, end)
                text, cut = truncate_text(message, self.budgets.bytes_per_line)
                rows.append(
                    LogRow(
                        window=window_name,  # type: ignore[arg-type]
                        timestamp=timestamp,
                        log_group=raw.get("@log", batch[0]).split(":")[-1],
                        log_stream=raw.get("@logStream", ""),
                        message=text,
                        truncated=cut,
                    )
                )
                kept += 1
            returned = len(query.results)
            matched = query.statistics.get("recordsMatched")
            if (matched is not None and matched > returned) or (matched is None and returned >= limit):
                truncated = True
                limits.append(
                    f"{window_name} {kind} query hit its limit of {limit} rows"
                    + (f" ({int(matched)} matched)" if matched is not None else "")
                )
            index = int(query.key.split(":")[0])
            if query.status != "Complete":
                batch_status[index] = (SourceStatus.partial, f"Insights query {query.status}")
            queries.append(
                LogQuery(
                    query_id=query.query_id,
                    window=window_name,  # type: ignore[arg-type]
                    log_groups=batch,
                    query_string=query_string(pattern, limit),
                    start=window.start,
                    end=window.end,
                    status=query.status,
                    rows_returned=returned,
                    records_matched=matched,
                    records_scanned=query.statistics.get("recordsScanned"),
                    bytes_scanned=query.statistics.get("bytesScanned"),
                )
            )
        for index, batch in enumerate(batches):
            if index in failed_batches:
                continue
            status, message = batch_status.get(index, (SourceStatus.complete, None))
            code = "QueryIncomplete" if message else None
            sources.extend(
                SourceResult(source=g, status=status, error_code=code, error_message=message) for g in batch
            )
        unique = {(r.window, r.timestamp, r.log_group, r.log_stream, r.message): r for r in rows}
        rows = sorted(
            unique.values(),
            key=lambda r: (r.window != "incident", -r.timestamp.timestamp(), r.log_group, r.message),
        )
        if not groups:
            limits.append("no readable log groups among the hints")
        return LogsEvidenceV1(
            incident_id=request.incident_id,
            run_id=request.run_id,
            window=request.window,
            baseline_window=request.baseline_window,
            collected_at=self.now(),
            sources=sorted(sources, key=lambda s: s.source),
            truncated=truncated,
            limits=limits,
            queries=queries,
            rows=rows,
        )


__all__ = ["LogsCollector", "describe_error", "hinted_log_groups", "lambda_name"]
