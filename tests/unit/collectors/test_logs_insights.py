"""Logs Insights mechanics: result parsing, polling with backoff and deadline, truncation detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from contracts.evidence import SourceStatus
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.collectors.budgets import Budgets, CollectRequest
from opsrunbook_dagster.collectors.logs import LogsCollector
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
from tests.fake_clock import FakeClock

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
GROUP = "/aws/lambda/payment-gateway"
PTR = "CmMKKAokNzI5ODg0NjE1MjQ3OkNsb3VkVHJhaWwvRGVmYXVsdExvZ0dyb3VwEAASHxoYAgXhFwAAAAEB"


def insights_ts(moment: datetime) -> str:
    """The way GetQueryResults renders @timestamp: ``2026-11-26 21:01:27.095`` (UTC, no zone)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def row(moment: datetime, message: str, stream: str = "2026/11/26/[$LATEST]0f1e2d3c") -> list[dict[str, str]]:
    return [
        {"field": "@timestamp", "value": insights_ts(moment)},
        {"field": "@message", "value": message},
        {"field": "@logStream", "value": stream},
        {"field": "@log", "value": f"123456789012:{GROUP}"},
        {"field": "@ptr", "value": PTR},
    ]


# A GetQueryResults response as documented by AWS (status, results as field/value lists,
# statistics with recordsMatched/recordsScanned/bytesScanned).
DOCUMENTED_RESPONSE: dict[str, Any] = {
    "results": [
        [
            {"field": "@timestamp", "value": "2026-11-26 21:01:27.095"},
            {"field": "@message", "value": "2026-11-26T21:01:27.095Z abc Task timed out after 3.00 seconds"},
            {"field": "@logStream", "value": "2026/11/26/[$LATEST]8c6a0e5f3b2d4e1a9f7c6b5a4d3e2f1a"},
            {"field": "@log", "value": "123456789012:/aws/lambda/payment-gateway"},
            {"field": "@ptr", "value": PTR},
        ],
        [
            {"field": "@timestamp", "value": "2026-11-26 21:00:59.000"},
            {"field": "@message", "value": "REPORT RequestId: abc\tDuration: 3000.00 ms"},
            {"field": "@ptr", "value": PTR + "x"},
        ],
    ],
    "statistics": {"recordsMatched": 2.0, "recordsScanned": 1270.0, "bytesScanned": 183012.0},
    "status": "Complete",
}


def test_parse_results_on_documented_response_drops_ptr_and_keeps_fields() -> None:
    rows = parse_results(DOCUMENTED_RESPONSE["results"])
    assert len(rows) == 2
    assert rows[0] == {
        "@timestamp": "2026-11-26 21:01:27.095",
        "@message": "2026-11-26T21:01:27.095Z abc Task timed out after 3.00 seconds",
        "@logStream": "2026/11/26/[$LATEST]8c6a0e5f3b2d4e1a9f7c6b5a4d3e2f1a",
        "@log": "123456789012:/aws/lambda/payment-gateway",
    }
    # A row lacking fields (Insights omits absent ones) stays a smaller dict, not an error.
    assert set(rows[1]) == {"@timestamp", "@message"}
    assert all("@ptr" not in r for r in rows)


def test_parse_results_on_stats_query() -> None:
    """``stats count(*) as n by bin(5m)``: no @ptr, fields named after the expressions."""
    response = {
        "results": [
            [{"field": "bin(5m)", "value": "2026-11-26 21:00:00.000"}, {"field": "n", "value": "17"}],
            [{"field": "bin(5m)", "value": "2026-11-26 20:55:00.000"}, {"field": "n", "value": "3"}],
        ],
        "statistics": {"recordsMatched": 20.0, "recordsScanned": 9000.0, "bytesScanned": 1.2e6},
        "status": "Complete",
    }
    rows = parse_results(response["results"])
    assert rows == [
        {"bin(5m)": "2026-11-26 21:00:00.000", "n": "17"},
        {"bin(5m)": "2026-11-26 20:55:00.000", "n": "3"},
    ]
    buckets = {parse_timestamp(r["bin(5m)"]): int(r["n"]) for r in rows}
    assert buckets == {
        datetime(2026, 11, 26, 21, 0, tzinfo=UTC): 17,
        datetime(2026, 11, 26, 20, 55, tzinfo=UTC): 3,
    }
    assert sum(buckets.values()) == response["statistics"]["recordsMatched"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26 21:01:27.095", datetime(2026, 11, 26, 21, 1, 27, 95000, tzinfo=UTC)),
        ("2026-11-26 21:01:27", datetime(2026, 11, 26, 21, 1, 27, tzinfo=UTC)),
        ("2026-11-26T21:01:27.095Z", datetime(2026, 11, 26, 21, 1, 27, 95000, tzinfo=UTC)),
        ("2026-11-26 23:01:27.095+02:00", datetime(2026, 11, 26, 21, 1, 27, 95000, tzinfo=UTC)),
        # moto (and some backends) return epoch milliseconds
        ("1795726887095", datetime(2026, 11, 26, 21, 1, 27, 95000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_is_utc(value: str, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_query_string_and_client_side_filters() -> None:
    text = query_string(ERROR_PATTERN, 2000)
    assert text.startswith("fields @timestamp, @message, @logStream, @log | filter @message like /")
    assert text.endswith(" | sort @timestamp desc | limit 2000")
    assert matches(ERROR_PATTERN, "2026-11-26T21:01:27.095Z abc Task timed out after 3.00 seconds")
    assert matches(ERROR_PATTERN, "botocore.errorfactory.ThrottlingException: Rate exceeded")
    assert matches(ERROR_PATTERN, "HTTP 503 from upstream")
    assert not matches(ERROR_PATTERN, '{"level":"INFO","message":"charge authorized"}')
    assert not matches(ERROR_PATTERN, "START RequestId: abc Version: $LATEST")
    # 5xx status codes, but not any number that happens to end in 5xx (request ids, amounts)
    assert matches(ERROR_PATTERN, "upstream returned status=502 after retries")
    assert not matches(
        ERROR_PATTERN, "START RequestId: 3f1c0a2e-1b2c-4d5e-8f90-12345678a512 Version: $LATEST"
    )
    assert not matches(ERROR_PATTERN, "charged 1500 cents")
    assert matches(REPORT_PATTERN, "REPORT RequestId: abc\tDuration: 3.1 ms")
    assert not matches(REPORT_PATTERN, "something REPORT RequestId: abc")


# --- polling ----------------------------------------------------------------------------------


class ScriptedInsights:
    """get_query_results answers ``Running`` until a query's poll count reaches its ``done_after``."""

    def __init__(self, done_after: dict[str, int | None], stop_error: Exception | None = None) -> None:
        self.done_after = done_after
        self.polls: dict[str, int] = dict.fromkeys(done_after, 0)
        self.stopped: list[str] = []
        self.stop_error = stop_error

    def get_query_results(self, queryId: str) -> dict[str, Any]:
        self.polls[queryId] += 1
        limit = self.done_after[queryId]
        if limit is not None and self.polls[queryId] >= limit:
            return DOCUMENTED_RESPONSE
        return {"results": [], "statistics": {"recordsMatched": 0.0}, "status": "Running"}

    def stop_query(self, queryId: str) -> dict[str, bool]:
        self.stopped.append(queryId)
        if self.stop_error is not None:
            raise self.stop_error
        return {"success": True}


def test_poller_backoff_starts_at_200ms_doubles_and_caps_at_2s() -> None:
    fake = FakeClock()
    client = ScriptedInsights({"q1": 8})
    query = PendingQuery("q1", "0:incident:errors")
    InsightsPoller(client, sleep=fake.sleep, clock=fake.clock).wait([query])
    # first look is immediate, then 0.2 s doubling to the 2 s cap: 8 polls, 7 sleeps
    assert fake.sleeps == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0]
    assert query.status == "Complete"
    assert len(query.results) == 2
    assert query.statistics == {"recordsMatched": 2.0, "recordsScanned": 1270.0, "bytesScanned": 183012.0}
    assert client.stopped == []


def test_poller_stops_queries_still_running_at_the_deadline() -> None:
    fake = FakeClock()
    client = ScriptedInsights({"slow": None, "fast": 2})
    slow, fast = PendingQuery("slow", "0:incident:errors"), PendingQuery("fast", "0:incident:reports")
    InsightsPoller(client, deadline_s=5.0, sleep=fake.sleep, clock=fake.clock).wait([slow, fast])
    assert client.stopped == ["slow"]
    assert slow.status == "Timeout"
    assert fast.status == "Complete"
    assert client.polls["fast"] == 2, "finished queries are not polled again"
    # 0.2 + 0.4 + 0.8 + 1.6 = 3.0 < 5 s, + 2.0 = 5.0 reaches the deadline
    assert fake.sleeps == [0.2, 0.4, 0.8, 1.6, 2.0]


def test_poller_survives_a_failing_stop_query() -> None:
    """The query may finish between the last poll and StopQuery; that must not abort the run."""
    fake = FakeClock()
    error = ClientError(
        {"Error": {"Code": "InvalidParameterException", "Message": "query is not running"}}, "StopQuery"
    )
    client = ScriptedInsights({"a": None, "b": None}, stop_error=error)
    queries = [PendingQuery("a", "0:incident:errors"), PendingQuery("b", "0:baseline:errors")]
    InsightsPoller(client, deadline_s=1.0, sleep=fake.sleep, clock=fake.clock).wait(queries)
    assert client.stopped == ["a", "b"]
    assert [q.status for q in queries] == ["Timeout", "Timeout"]


def test_poller_skips_queries_already_terminal() -> None:
    fake = FakeClock()
    client = ScriptedInsights({"done": 1})
    query = PendingQuery("done", "0:incident:errors", status="Complete")
    InsightsPoller(client, sleep=fake.sleep, clock=fake.clock).wait([query])
    assert fake.sleeps == []
    assert client.polls["done"] == 0


# --- truncation detection in the collector ----------------------------------------------------


class FakeLogs:
    """A CloudWatch Logs stand-in answering every query with ``rows`` and ``recordsMatched``."""

    def __init__(self, rows: list[list[dict[str, str]]], records_matched: float | None) -> None:
        self.rows = rows
        self.records_matched = records_matched
        self.started: list[dict[str, Any]] = []

    def describe_log_groups(self, logGroupNamePrefix: str, limit: int) -> dict[str, Any]:
        return {"logGroups": [{"logGroupName": logGroupNamePrefix}]}

    def start_query(self, **kwargs: Any) -> dict[str, str]:
        self.started.append(kwargs)
        return {"queryId": f"q{len(self.started)}"}

    def get_query_results(self, queryId: str) -> dict[str, Any]:
        statistics: dict[str, float] = {"recordsScanned": 50_000.0, "bytesScanned": 9e6}
        if self.records_matched is not None:
            statistics["recordsMatched"] = self.records_matched
        return {"results": self.rows, "statistics": statistics, "status": "Complete"}


def request() -> CollectRequest:
    event = IncidentEventV1(
        event_id="evt-insights-0001",
        service="payment-gateway",
        environment="prod",
        time_window={"start": NOW - timedelta(minutes=30), "end": NOW},
        hints={"log_groups": [GROUP]},
    )
    return CollectRequest.from_event(event)


def fast_poller(client: Any) -> InsightsPoller:
    fake = FakeClock()
    return InsightsPoller(client, sleep=fake.sleep, clock=fake.clock)


def test_records_matched_above_rows_returned_marks_truncated() -> None:
    incident = [row(NOW - timedelta(minutes=m), f"ERROR boom {m}") for m in (1, 2, 3)]
    client = FakeLogs(incident, records_matched=5000.0)
    evidence = LogsCollector(client, Budgets(rows_per_query=3), poller_factory=fast_poller).collect(request())
    assert evidence.truncated is True
    assert "incident errors query hit its limit of 3 rows (5000 matched)" in evidence.limits
    assert any(n.startswith("baseline errors query hit its limit") for n in evidence.limits)
    errors_incident = next(
        q for q in evidence.queries if q.window == "incident" and "limit 3" in q.query_string
    )
    assert errors_incident.records_matched == 5000.0
    assert errors_incident.rows_returned == 3
    assert errors_incident.records_scanned == 50_000.0
    # Rows outside a query's window are not attributed to it; these three are incident rows.
    assert [r.window for r in evidence.rows] == ["incident"] * 3
    assert [r.log_group for r in evidence.rows] == [GROUP] * 3
    assert evidence.rows[0].timestamp == NOW - timedelta(minutes=1)


def test_records_matched_equal_to_rows_is_not_truncated() -> None:
    incident = [row(NOW - timedelta(minutes=1), "ERROR boom")]
    client = FakeLogs(incident, records_matched=1.0)
    evidence = LogsCollector(client, poller_factory=fast_poller).collect(request())
    assert evidence.truncated is False
    assert evidence.limits == []
    assert [s.status for s in evidence.sources] == [SourceStatus.complete]
    assert len(client.started) == 4, "errors and REPORT queries for both windows"
    windows = {(q["startTime"], q["endTime"]) for q in client.started}
    assert windows == {
        (int((NOW - timedelta(minutes=30)).timestamp()), int(NOW.timestamp())),
        (int((NOW - timedelta(minutes=60)).timestamp()), int((NOW - timedelta(minutes=30)).timestamp())),
    }


def test_without_statistics_a_full_page_counts_as_truncated() -> None:
    incident = [row(NOW - timedelta(minutes=m), f"ERROR boom {m}") for m in (1, 2)]
    client = FakeLogs(incident, records_matched=None)
    evidence = LogsCollector(client, Budgets(rows_per_query=2), poller_factory=fast_poller).collect(request())
    assert evidence.truncated is True
    assert "incident errors query hit its limit of 2 rows" in evidence.limits


def test_boundary_event_belongs_to_the_incident_window_only() -> None:
    """Insights' endTime is inclusive; the collector keeps windows half-open."""
    at_start = row(NOW - timedelta(minutes=30), "ERROR at the boundary")
    at_end = row(NOW, "ERROR at the very end")
    client = FakeLogs([at_start, at_end], records_matched=2.0)
    evidence = LogsCollector(client, poller_factory=fast_poller).collect(request())
    assert [(r.window, r.message) for r in evidence.rows] == [("incident", "ERROR at the boundary")]
