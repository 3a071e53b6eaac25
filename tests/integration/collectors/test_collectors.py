"""The collectors against the real moto server, on seeded scenario data.

The server is shared by the whole session, so every scenario here is seeded under names of its
own (``isolated``): log groups, functions and state machines carry a per-module suffix.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import botocore.exceptions
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.paginate import Paginator

from contracts.canonical import canonical_json, sha256_hex
from contracts.evidence import LogsEvidenceV1, SourceStatus
from contracts.incident_event import IncidentEventV1, IncidentHints
from opsrunbook_dagster.analysis.narrative import limits as packet_limits
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.collectors.budgets import (
    SEASON_LOOKBACK,
    Budgets,
    CollectRequest,
    metric_lookback,
    season_period,
)
from opsrunbook_dagster.collectors.finalize import finalize
from opsrunbook_dagster.collectors.logs import LogsCollector
from opsrunbook_dagster.collectors.logs_insights import ERROR_PATTERN, REPORT_PATTERN
from opsrunbook_dagster.collectors.metrics import MetricsCollector
from opsrunbook_dagster.collectors.stepfn import StepFnCollector
from opsrunbook_dagster.sandbox.scenario import (
    Expected,
    IncidentSpec,
    LogSpec,
    RootCause,
    Scenario,
    load_scenario,
)
from opsrunbook_dagster.sandbox.seed_logs import render_log_events
from opsrunbook_dagster.sandbox.seed_metrics import metric_points
from opsrunbook_dagster.sandbox.seeder import SeedReport, seed_scenario

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:8]
DENIED = "AccessDeniedException"
THROTTLED = "ThrottlingException"


def isolated(name: str, *identifiers: str) -> Scenario:
    """A bundled scenario with each identifier (function, log group part, machine) suffixed by TAG."""
    scenario = load_scenario(name)
    text = scenario.model_dump_json()
    for identifier in identifiers:
        text = text.replace(identifier, f"{identifier}-{TAG}")
    return Scenario.model_validate({**json.loads(text), "source_dir": scenario.source_dir})


def with_hints(event: IncidentEventV1, **hints: Any) -> IncidentEventV1:
    return IncidentEventV1.model_validate({**event.model_dump(), "hints": hints})


def request_of(report: SeedReport, **hints: Any) -> CollectRequest:
    assert report.request is not None
    event = with_hints(report.request, **hints) if hints else report.request
    return CollectRequest.from_event(event)


class Faulty:
    """The real boto3 client, except that ``operation`` raises a real ``ClientError``.

    ``on_calls`` (1-based) limits the failure to those calls of the operation; everything else
    is delegated to the real client. Paginators for the operation go through the failing method.
    """

    def __init__(self, client: Any, operation: str, code: str, on_calls: set[int] | None = None) -> None:
        self._client = client
        self._operation = operation
        self._code = code
        self._on_calls = on_calls
        self.calls = 0

    def _error(self) -> ClientError:
        api = self._client.meta.method_to_api_mapping[self._operation]
        message = (
            "User: arn:aws:sts::123456789012:assumed-role/opsrunbook-collector/run is not authorized "
            f"to perform: {api}"
            if self._code == DENIED
            else "Rate exceeded"
        )
        return ClientError(
            {"Error": {"Code": self._code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
            api,
        )

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self._operation:
            return real

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self._on_calls is None or self.calls in self._on_calls:
                raise self._error()
            return real(**kwargs)

        return call

    def get_paginator(self, name: str) -> Any:
        if name != self._operation:
            return self._client.get_paginator(name)
        service = self._client.meta.service_model
        api = self._client.meta.method_to_api_mapping[name]
        config = (
            botocore.session.get_session()
            .get_paginator_model(service.service_name, service.api_version)
            .get_paginator(api)
        )
        return Paginator(getattr(self, name), config, service.operation_model(api))


# --- fixtures: one seeding per scenario for this module -----------------------------------------


@pytest.fixture(scope="module")
def timeout_scenario() -> Scenario:
    return isolated("lambda-timeout", "payment-gateway", "healthy-service")


@pytest.fixture(scope="module")
def timeout_run(aws: AwsTarget, timeout_scenario: Scenario) -> SeedReport:
    # Two days back and minute-aligned: no overlap with data other tests seed "now".
    now = (datetime.now(UTC) - timedelta(days=2)).replace(second=0, microsecond=0)
    return seed_scenario(aws, timeout_scenario, now)


@pytest.fixture(scope="module")
def stepfn_run(aws: AwsTarget) -> SeedReport:
    scenario = isolated("stepfn-task-failure", "order-fulfillment", "reserve-inventory", "checkout-api")
    report = seed_scenario(aws, scenario, datetime.now(UTC))
    assert report.executions == {f"order-fulfillment-{TAG}": {"FAILED": 4, "SUCCEEDED": 6}}
    return report


PAYMENT = f"/aws/lambda/payment-gateway-{TAG}"
HEALTHY = f"/aws/lambda/healthy-service-{TAG}"


# --- logs -------------------------------------------------------------------------------------


def expected_rows(
    scenario: Scenario, report: SeedReport, request: CollectRequest
) -> set[tuple[str, str, str]]:
    """(window, log group, message) of every seeded line the logs collector should return."""
    windows = {"incident": request.window, "baseline": request.baseline_window}
    expected = set()
    for (group, _stream), events in render_log_events(scenario, report.now).items():
        for event in events:
            moment = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
            message = event["message"]
            if not (re.search(ERROR_PATTERN, message) or re.search(REPORT_PATTERN, message)):
                continue
            for name, window in windows.items():
                if window.start <= moment < window.end:
                    expected.add((name, group, message))
    return expected


def test_logs_collector_on_lambda_timeout(
    aws: AwsTarget, timeout_scenario: Scenario, timeout_run: SeedReport
) -> None:
    request = request_of(timeout_run)
    evidence = LogsCollector(aws.client("logs")).collect(request)

    incident = [r for r in evidence.rows if r.window == "incident"]
    baseline = [r for r in evidence.rows if r.window == "baseline"]
    timeouts = [r for r in incident if "Task timed out" in r.message]
    assert len(timeouts) == 60, "one every 20 s over the last 20 minutes"
    assert {r.log_group for r in timeouts} == {PAYMENT}
    assert not any("Task timed out" in r.message for r in baseline)
    assert any(r.log_group == PAYMENT and r.message.startswith("REPORT RequestId") for r in baseline)
    assert any(r.log_group == HEALTHY and '"errorType":"CacheMiss"' in r.message for r in baseline)

    # Only error-like and REPORT lines: no START/END, no INFO/WARN chatter.
    for row in evidence.rows:
        assert re.search(ERROR_PATTERN, row.message) or row.message.startswith("REPORT RequestId"), row
    assert not any(r.message.startswith(("START RequestId", "END RequestId")) for r in evidence.rows)
    assert not any(
        "charge authorized" in r.message or "card processor slow" in r.message for r in evidence.rows
    )

    # Exactly what was seeded, each row in its (half-open) window.
    got = {(r.window, r.log_group, r.message) for r in evidence.rows}
    assert got == expected_rows(timeout_scenario, timeout_run, request)
    for row in evidence.rows:
        window = request.window if row.window == "incident" else request.baseline_window
        assert window.start <= row.timestamp < window.end
    assert [r.window for r in evidence.rows] == sorted(
        (r.window for r in evidence.rows), key=lambda w: w != "incident"
    )

    assert sorted((q.window, "REPORT" in q.query_string) for q in evidence.queries) == [
        ("baseline", False),
        ("baseline", True),
        ("incident", False),
        ("incident", True),
    ]
    for query in evidence.queries:
        assert query.status == "Complete" and query.query_id
        assert set(query.log_groups) == {PAYMENT, HEALTHY}
        window = request.window if query.window == "incident" else request.baseline_window
        assert (query.start, query.end) == (window.start, window.end)
    assert [(s.source, s.status) for s in evidence.sources] == [
        (HEALTHY, SourceStatus.complete),
        (PAYMENT, SourceStatus.complete),
    ]
    assert evidence.status == SourceStatus.complete
    assert evidence.truncated is False and evidence.limits == []


def test_missing_log_group_is_skipped_and_the_rest_collected(aws: AwsTarget, timeout_run: SeedReport) -> None:
    missing = f"/aws/lambda/does-not-exist-{TAG}"
    request = request_of(timeout_run, log_groups=[missing, PAYMENT])
    evidence = LogsCollector(aws.client("logs")).collect(request)
    by_source = {s.source: s for s in evidence.sources}
    assert by_source[missing].status == SourceStatus.skipped
    assert by_source[missing].error_code == "ResourceNotFoundException"
    assert by_source[PAYMENT].status == SourceStatus.complete
    assert evidence.status == SourceStatus.complete, "skipped sources do not make the evidence partial"
    assert any("Task timed out" in r.message for r in evidence.rows)
    assert {r.log_group for r in evidence.rows} == {PAYMENT}
    assert all(q.log_groups == [PAYMENT] for q in evidence.queries)


def test_only_missing_log_groups_still_returns_evidence(aws: AwsTarget, timeout_run: SeedReport) -> None:
    missing = f"/aws/lambda/does-not-exist-{TAG}"
    evidence = LogsCollector(aws.client("logs")).collect(request_of(timeout_run, log_groups=[missing]))
    assert [(s.source, s.status, s.error_code) for s in evidence.sources] == [
        (missing, SourceStatus.skipped, "ResourceNotFoundException")
    ]
    assert evidence.rows == [] and evidence.queries == []
    assert evidence.limits == ["no readable log groups among the hints"]


# --- metrics ----------------------------------------------------------------------------------


def test_metric_specs_for_a_lambda_hint(timeout_run: SeedReport) -> None:
    specs = MetricsCollector(client=None).specs_for(request_of(timeout_run))
    function = f"payment-gateway-{TAG}"
    assert [(s.metric, s.stat) for s in specs] == [
        ("Errors", "Sum"),
        ("Throttles", "Sum"),
        ("Invocations", "Sum"),
        ("Duration", "Average"),
        ("Duration", "Maximum"),
        ("Duration", "p99"),
        ("ConcurrentExecutions", "Maximum"),
    ]
    assert all(s.namespace == "AWS/Lambda" and s.dimensions == {"FunctionName": function} for s in specs)
    assert all(s.period == 60 and s.origin == "lambda" for s in specs)
    assert [s.id for s in specs][:3] == ["m000_errors_sum", "m001_throttles_sum", "m002_invocations_sum"]
    assert len({s.id for s in specs}) == len(specs)


def test_metrics_collector_series_with_percentiles(
    aws: AwsTarget, timeout_scenario: Scenario, timeout_run: SeedReport
) -> None:
    request = request_of(timeout_run)
    collector = MetricsCollector(aws.client("cloudwatch"), aws.client("cloudwatch", max_attempts=1))
    evidence = collector.collect(request)

    by_metric = {(s.metric, s.stat): s.id for s in evidence.specs}
    series = {s.id: s for s in evidence.series}
    sources = {s.source: s for s in evidence.sources}
    assert all(sources[s.label].status == SourceStatus.complete for s in evidence.specs)
    assert evidence.status == SourceStatus.complete
    # the sandbox answers percentiles as CloudWatch does: one sample a minute, so p99 = Maximum
    p99, maximum = series[by_metric[("Duration", "p99")]], series[by_metric[("Duration", "Maximum")]]
    assert p99.values == maximum.values and p99.values
    assert evidence.period_seconds == 60
    assert evidence.baseline_window is not None
    assert evidence.baseline_window.start == request.window.start - metric_lookback(request.window)

    # The seeded metrics come back point for point.
    for index, seeded in enumerate(timeout_scenario.metrics):
        result = series[by_metric[(seeded.metric, "Sum" if seeded.unit == "Count" else "Average")]]
        points = [
            (t, v)
            for t, v in metric_points(seeded, index, timeout_scenario, timeout_run.now)
            if evidence.baseline_window.start <= t < request.window.end
        ]
        assert result.status_code == "Complete"
        assert result.timestamps == [t for t, _ in points], seeded.metric
        assert result.values == pytest.approx([v for _, v in points]), seeded.metric

    duration = series[by_metric[("Duration", "Maximum")]]
    start = request.window.start
    incident = [
        v
        for t, v in zip(duration.timestamps, duration.values, strict=True)
        if t >= start + timedelta(minutes=11)
    ]
    before = [v for t, v in zip(duration.timestamps, duration.values, strict=True) if t < start]
    assert min(incident) > 2900 and max(before) < 300
    assert series[by_metric[("ConcurrentExecutions", "Maximum")]].values == [], "never seeded"

    # The season probe: every series again, over the week before the window, at the coarser period;
    # the sandbox holds only the scenario's hours, so it sums to the same counts.
    assert evidence.season_period_seconds == season_period(request.window, timeout_run.now) == 600
    assert [s.id for s in evidence.season_series] == [s.id for s in evidence.series]
    probe = {s.id: s for s in evidence.season_series}
    for index, seeded in enumerate(timeout_scenario.metrics):
        if seeded.unit != "Count":
            continue
        spec_id = by_metric[(seeded.metric, "Sum")]
        points = metric_points(seeded, index, timeout_scenario, timeout_run.now)
        in_probe = sum(
            v for t, v in points if request.window.start - SEASON_LOOKBACK <= t < request.window.end
        )
        assert sum(probe[spec_id].values) == pytest.approx(in_probe), seeded.metric
        steps = {(b - a).total_seconds() for a, b in pairwise(probe[spec_id].timestamps)}
        assert steps <= {600.0 * n for n in range(1, 1_009)}, "points at the probe's period"


class RejectsP99:
    """A backend that rejects any batch holding a p99 query (as an account without it would)."""

    def __init__(self) -> None:
        self.calls = 0

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if any(q["MetricStat"]["Stat"] == "p99" for q in kwargs["MetricDataQueries"]):
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "InternalFailure", "Message": "<html>500</html>"}}, "GetMetricData"
            )
        return {
            "MetricDataResults": [
                {"Id": q["Id"], "Timestamps": [], "Values": [], "StatusCode": "Complete"}
                for q in kwargs["MetricDataQueries"]
            ]
        }


def test_a_rejected_query_is_isolated_and_named(timeout_run: SeedReport) -> None:
    stub = RejectsP99()
    evidence = MetricsCollector(stub, stub).collect(request_of(timeout_run))
    sources = {s.source: s for s in evidence.sources}
    p99 = next(s for s in evidence.specs if s.stat == "p99")
    assert sources[p99.label].status == SourceStatus.failed
    assert sources[p99.label].error_code == "MetricQueryRejected"
    assert "p99" in (sources[p99.label].error_message or "")
    others = [s for s in evidence.specs if s is not p99]
    assert others and all(sources[s.label].status == SourceStatus.complete for s in others)
    assert evidence.status == SourceStatus.partial


class TwoPages:
    """get_metric_data answering in two NextToken pages (moto never paginates)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(dict(kwargs))
        t0 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
        if "NextToken" not in kwargs:
            return {
                "MetricDataResults": [
                    {
                        "Id": "m000_errors_sum",
                        "Label": "errors",
                        "Timestamps": [t0 + timedelta(minutes=2), t0],
                        "Values": [2.0, 0.0],
                        "StatusCode": "PartialData",
                    }
                ],
                "NextToken": "page-2",
            }
        return {
            "MetricDataResults": [
                {
                    "Id": "m000_errors_sum",
                    "Label": "errors",
                    "Timestamps": [t0 + timedelta(minutes=1)],
                    "Values": [1.0],
                    "StatusCode": "Complete",
                }
            ]
        }


def test_metric_data_pagination_merges_pages(timeout_run: SeedReport) -> None:
    stub = TwoPages()
    errors_hint = {
        "namespace": "AWS/Lambda",
        "metric": "Errors",
        "dimensions": {"FunctionName": "f"},
        "stat": "Sum",
    }
    evidence = MetricsCollector(stub).collect(request_of(timeout_run, metrics=[errors_hint]))
    # the fetch, then the season probe: each follows the token
    assert [c.get("NextToken") for c in stub.calls] == [None, "page-2", None, "page-2"]
    assert stub.calls[1]["MetricDataQueries"] == stub.calls[0]["MetricDataQueries"]
    errors = next(s for s in evidence.series if s.id == "m000_errors_sum")
    t0 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    assert errors.timestamps == [t0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=2)]
    assert errors.values == [0.0, 1.0, 2.0]
    assert errors.status_code == "PartialData", "a partial page keeps the series partial"
    assert evidence.truncated is True


@pytest.mark.parametrize("code", [DENIED, THROTTLED])
def test_metrics_denied_or_throttled_fails_every_query_without_raising(
    aws: AwsTarget, timeout_run: SeedReport, code: str
) -> None:
    client = Faulty(aws.client("cloudwatch"), "get_metric_data", code)
    evidence = MetricsCollector(client).collect(request_of(timeout_run))
    assert evidence.series == []
    assert len(evidence.sources) == 7
    assert {(s.status, s.error_code) for s in evidence.sources} == {(SourceStatus.failed, code)}
    assert evidence.status == SourceStatus.failed
    assert client.calls == 2, "one call per batch (standard, extended): no splitting on auth/throttling"
    assert {lim.code for lim in packet_limits([evidence], [])} == {code}


# --- step functions ---------------------------------------------------------------------------

MACHINE = f"order-fulfillment-{TAG}"


def test_stepfn_collector_on_task_failure(aws: AwsTarget, stepfn_run: SeedReport) -> None:
    request = request_of(stepfn_run)
    evidence = StepFnCollector(aws.client("stepfunctions")).collect(request)
    (summary,) = evidence.state_machines
    assert summary.name == MACHINE
    assert summary.arn == f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}"
    assert summary.counts == {"FAILED": 4, "TIMED_OUT": 0, "ABORTED": 0, "SUCCEEDED": 6}
    assert summary.failure_ratio == 0.4
    assert summary.executions_truncated is False
    assert [(s.source, s.status) for s in evidence.sources] == [(summary.arn, SourceStatus.complete)]

    assert len(evidence.executions) == 4
    starts = [e.start_date for e in evidence.executions]
    assert starts == sorted(starts, reverse=True), "newest first"
    for execution in evidence.executions:
        assert execution.status == "FAILED" and execution.state_machine_arn == summary.arn
        assert execution.failed_state == "ReservationFailed", "the Fail state entered last"
        assert execution.error == "InventoryUnavailable"
        assert execution.cause is not None and "warehouse IAD-3 reported 0 units" in execution.cause
        assert execution.task_resource == (
            f"arn:aws:lambda:us-east-1:123456789012:function:reserve-inventory-{TAG}"
        )
        assert execution.events_examined >= 5
        assert request.window.start <= execution.start_date <= request.window.end


def test_unknown_state_machine_is_skipped(aws: AwsTarget, stepfn_run: SeedReport) -> None:
    unknown = f"no-such-machine-{TAG}"
    request = request_of(stepfn_run, state_machines=[unknown, MACHINE])
    evidence = StepFnCollector(aws.client("stepfunctions")).collect(request)
    by_source = {s.source: s for s in evidence.sources}
    assert by_source[unknown].status == SourceStatus.skipped
    assert by_source[unknown].error_code == "StateMachineDoesNotExist"
    assert [m.name for m in evidence.state_machines] == [MACHINE]
    assert evidence.status == SourceStatus.complete


def test_stepfn_denied_listing_state_machines(aws: AwsTarget, stepfn_run: SeedReport) -> None:
    client = Faulty(aws.client("stepfunctions"), "list_state_machines", DENIED)
    evidence = StepFnCollector(client).collect(request_of(stepfn_run))
    assert [(s.source, s.status, s.error_code) for s in evidence.sources] == [
        (MACHINE, SourceStatus.failed, DENIED)
    ]
    assert "not authorized" in (evidence.sources[0].error_message or "")
    assert evidence.state_machines == [] and evidence.executions == []
    assert client.calls == 1


@pytest.mark.parametrize(
    ("operation", "code"), [("list_executions", THROTTLED), ("get_execution_history", DENIED)]
)
def test_stepfn_failures_per_machine_do_not_raise(
    aws: AwsTarget, stepfn_run: SeedReport, operation: str, code: str
) -> None:
    client = Faulty(aws.client("stepfunctions"), operation, code)
    evidence = StepFnCollector(client).collect(request_of(stepfn_run))
    arn = f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}"
    assert [(s.source, s.status, s.error_code) for s in evidence.sources] == [
        (arn, SourceStatus.failed, code)
    ]
    assert evidence.status == SourceStatus.failed
    assert client.calls >= 1
    limits = packet_limits([evidence], [])
    assert [(lim.code, lim.collector, lim.source) for lim in limits] == [(code, "stepfn", arn)]


# --- logs under AccessDenied and throttling ---------------------------------------------------


def test_logs_denied_describe_log_groups(aws: AwsTarget, timeout_run: SeedReport) -> None:
    client = Faulty(aws.client("logs"), "describe_log_groups", DENIED)
    evidence = LogsCollector(client).collect(request_of(timeout_run))
    assert [(s.source, s.status, s.error_code) for s in evidence.sources] == [
        (HEALTHY, SourceStatus.failed, DENIED),
        (PAYMENT, SourceStatus.failed, DENIED),
    ]
    assert evidence.status == SourceStatus.failed
    assert evidence.rows == [] and evidence.queries == []
    assert evidence.limits == ["no readable log groups among the hints"]
    codes = Counter(lim.code for lim in packet_limits([evidence], []))
    assert codes == Counter({DENIED: 2, "note": 1})


def test_logs_throttled_first_start_query_fails_the_batch(aws: AwsTarget, timeout_run: SeedReport) -> None:
    client = Faulty(aws.client("logs"), "start_query", THROTTLED)
    evidence = LogsCollector(client).collect(request_of(timeout_run))
    assert {(s.source, s.status, s.error_code) for s in evidence.sources} == {
        (HEALTHY, SourceStatus.failed, THROTTLED),
        (PAYMENT, SourceStatus.failed, THROTTLED),
    }
    assert evidence.rows == [] and evidence.queries == []
    assert client.calls == 1, "no further queries for a batch once one was throttled"


def test_logs_throttled_baseline_query_leaves_partial_evidence(
    aws: AwsTarget, timeout_run: SeedReport
) -> None:
    """Calls 1-2 (incident errors/REPORT) start; call 3 (baseline errors) is throttled."""
    client = Faulty(aws.client("logs"), "start_query", THROTTLED, on_calls={3})
    evidence = LogsCollector(client).collect(request_of(timeout_run))
    assert [(s.source, s.status, s.error_code) for s in evidence.sources] == [
        (HEALTHY, SourceStatus.partial, THROTTLED),
        (PAYMENT, SourceStatus.partial, THROTTLED),
    ]
    assert evidence.status == SourceStatus.partial
    assert [q.window for q in evidence.queries] == ["incident", "incident"]
    assert any("Task timed out" in r.message for r in evidence.rows)
    assert {r.window for r in evidence.rows} == {"incident"}
    assert client.calls == 3


def test_logs_throttled_query_results_do_not_raise(aws: AwsTarget, timeout_run: SeedReport) -> None:
    client = Faulty(aws.client("logs"), "get_query_results", THROTTLED)
    evidence = LogsCollector(client).collect(request_of(timeout_run))
    assert {(s.status, s.error_code) for s in evidence.sources} == {(SourceStatus.partial, "QueryIncomplete")}
    assert {q.status for q in evidence.queries} == {"Failed"}
    assert evidence.rows == []
    assert client.calls == 4, "each query polled once, then given up"


# --- finalize: redaction and budgets on collected evidence ------------------------------------

SECRET_GROUP = f"/aws/lambda/secrets-probe-{TAG}"
BEARER = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
PASSWORD = "hunter2-Sup3r"


@pytest.fixture(scope="module")
def secrets_evidence(aws: AwsTarget) -> LogsEvidenceV1:
    scenario = Scenario(
        name="secrets-probe",
        service="secrets-probe",
        environment="test",
        seed=3,
        incident=IncidentSpec(window_minutes=30, hints=IncidentHints(log_groups=[SECRET_GROUP])),
        logs=[
            LogSpec(
                log_group=SECRET_GROUP,
                every_seconds=60,
                from_minute=-25,
                to_minute=-1,
                lines=[
                    f"ERROR upstream 401 for Authorization: Bearer {BEARER} request {{uuid}}",
                    f"ERROR s3 access failed using {ACCESS_KEY}",
                    f'ERROR login failed {{"user":"bob","password":"{PASSWORD}","attempt":{{int:1-3}}}}',
                    "INFO healthy heartbeat",
                ],
            )
        ],
        expected=Expected(root_cause=RootCause(kind="none")),
    )
    now = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    report = seed_scenario(aws, scenario, now)
    assert report.log_events == {SECRET_GROUP: 100}
    return LogsCollector(aws.client("logs")).collect(request_of(report))


def test_finalize_redacts_and_fixes_size_and_hash(secrets_evidence: LogsEvidenceV1) -> None:
    assert len(secrets_evidence.rows) == 75, "25 ticks x 3 error lines, all in the incident window"
    raw = canonical_json(secrets_evidence)
    assert BEARER.encode() in raw, "the collector itself stores nothing; finalize redacts"
    stored = finalize(secrets_evidence, Budgets())
    for secret in (BEARER, ACCESS_KEY, PASSWORD):
        assert secret.encode() not in stored.body
    redaction = stored.model.redaction
    assert redaction.ran is True
    assert redaction.hits == {"aws_access_key": 25, "bearer_token": 25, "password": 25}
    assert redaction.total_hits == 75
    assert stored.byte_size == len(stored.body) == stored.model.byte_size
    assert stored.sha256 == sha256_hex(stored.body)
    assert canonical_json(stored.model) == stored.body, "the body is the canonical form of the model"
    assert stored.model.truncated is False and stored.model.limits == []
    assert any("Bearer [REDACTED:bearer_token]" in r.message for r in stored.model.rows)
    assert any('"password":"[REDACTED:password]"' in r.message for r in stored.model.rows)


def test_finalize_sheds_rows_over_a_tiny_budget(secrets_evidence: LogsEvidenceV1) -> None:
    budgets = Budgets(bytes_per_object=2000)
    # The four query records alone are over 2,000 bytes: every row goes, and that is all it can do.
    everything = finalize(secrets_evidence, budgets)
    assert everything.model.rows == [] and everything.model.truncated is True
    assert everything.model.limits == ["75 rows dropped to stay under 2000 bytes"]
    assert len(everything.model.queries) == 4

    secrets_evidence = secrets_evidence.model_copy(update={"queries": []})
    stored = finalize(secrets_evidence, budgets)
    assert stored.byte_size <= 2000
    assert stored.byte_size == len(stored.body) and stored.sha256 == sha256_hex(stored.body)
    model = stored.model
    assert 0 < len(model.rows) < len(secrets_evidence.rows)
    dropped = len(secrets_evidence.rows) - len(model.rows)
    assert model.truncated is True
    assert model.limits == [f"{dropped} rows dropped to stay under 2000 bytes"]
    assert [r.message for r in model.rows] == [
        r.message for r in finalize(secrets_evidence, Budgets()).model.rows[: len(model.rows)]
    ], "the newest rows are kept"
    assert (stored.body, stored.sha256) == (
        finalize(secrets_evidence, budgets).body,
        finalize(secrets_evidence, budgets).sha256,
    )


def test_finalize_stays_within_the_budget_it_sheds_to() -> None:
    """The limits note and byte_size are part of the stored body: shedding must leave room for them."""
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    sizes = []
    for length in range(1, 160):
        rows = [
            {
                "window": "incident",
                "timestamp": now - timedelta(seconds=i),
                "log_group": "/aws/lambda/x",
                "message": "E" * length,
            }
            for i in range(12)
        ]
        evidence = LogsEvidenceV1(
            incident_id="inc-1",
            run_id="r1",
            window={"start": now - timedelta(minutes=30), "end": now},  # type: ignore[arg-type]
            collected_at=now,
            rows=rows,  # type: ignore[arg-type]
        )
        stored = finalize(evidence, Budgets(bytes_per_object=2000))
        assert stored.byte_size == len(stored.body)
        sizes.append(stored.byte_size)
        if stored.model.truncated:
            assert stored.model.limits == [
                f"{12 - len(stored.model.rows)} rows dropped to stay under 2000 bytes"
            ]
    assert max(sizes) <= 2000
    assert max(sizes) > 1950, "some cases land right at the edge of the budget"
