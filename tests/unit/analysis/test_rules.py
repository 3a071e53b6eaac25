"""Analyzer rules added for issue #6: cold starts, uncaught Node.js errors, dependency and throttling
classification, same-resource merging and cross-resource ranking (causes above their symptoms)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.base import Severity
from contracts.evidence import LogRow, MetricSpec
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.cold_starts import cold_start_drafts, rank_sum_p
from opsrunbook_dagster.analysis.correlate import correlate, rank
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.analysis.log_findings import classify, log_drafts
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.analysis.signatures import has_stack, signature_of
from opsrunbook_dagster.analysis.stepfn_findings import task_function
from tests.unit.analysis.test_analysis import (
    BASELINE,
    RID,
    WINDOW,
    handles_from,
    key_of,
    log_row,
    logs_evidence,
    metrics_evidence,
    series_for,
    spread,
    stored,
)

# --- cold starts ------------------------------------------------------------------------------

QUOTE = "/aws/lambda/quote-engine"


def report(init_ms: float | None, duration_ms: float = 80.0) -> str:
    line = (
        f"REPORT RequestId: {RID}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {int(duration_ms) + 1} ms"
    )
    line += "\tMemory Size: 1024 MB\tMax Memory Used: 201 MB"
    return line + (f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else "")


def reports(window: str, inits: list[float], warm: int, group: str = QUOTE) -> list[LogRow]:
    """``warm`` warm REPORT lines and one cold REPORT line per Init Duration, spread over the window."""
    span = WINDOW if window == "incident" else BASELINE
    messages = [report(None) for _ in range(warm)] + [report(v, 400.0) for v in inits]
    step = span.seconds / len(messages)
    ordered = sorted(messages)  # interleave deterministically
    return [
        log_row(window, span.end - timedelta(seconds=step * (i + 0.5)), group, m)
        for i, m in enumerate(ordered)
    ]


def cold_handles(base_inits: list[float], inc_inits: list[float], warm: int = 60):  # type: ignore[no-untyped-def]
    rows = reports("incident", inc_inits, warm) + reports("baseline", base_inits, warm)
    return handles_from(stored(logs=logs_evidence(rows)))


BASE_INITS = [812.0, 903.5, 1011.2, 955.0, 870.4, 1102.9, 990.1, 934.7]


def test_slower_cold_starts_are_a_cold_start_finding_citing_report_rows() -> None:
    incident = [3400.0 + 97.0 * i for i in range(16)]
    handles = cold_handles(BASE_INITS, incident)
    (draft,) = cold_start_drafts(handles)
    assert draft.kind == FindingKind.cold_start
    assert draft.resource == QUOTE and draft.subject == "quote-engine"
    assert "Init Duration median" in draft.title and "cold start" in draft.title
    assert (draft.count, draft.baseline_count) == (16, 8)
    assert 0.6 < draft.confidence <= 0.85
    rows = handles.logs.rows  # type: ignore[union-attr]
    cited = [rows[int(r.pointer.split("/")[2])] for r in draft.refs]
    assert all("Init Duration" in row.message for row in cited)
    assert {row.window for row in cited} == {"incident", "baseline"}
    assert all(r.s3_key == key_of("logs") for r in draft.refs)
    packet = build_packet(handles)
    assert packet.findings[0].kind == FindingKind.cold_start


def test_more_cold_starts_at_the_usual_init_duration_are_not_a_finding() -> None:
    # a deploy replaces every environment: three times the cold starts, same Init Duration
    incident = [BASE_INITS[i % len(BASE_INITS)] + (i % 3) for i in range(24)]
    assert cold_start_drafts(cold_handles(BASE_INITS, incident)) == []


def test_cold_starts_need_a_baseline_to_compare_with() -> None:
    incident = [3400.0 + 97.0 * i for i in range(16)]
    assert cold_start_drafts(cold_handles(BASE_INITS[:1], incident)) == []
    assert cold_start_drafts(cold_handles(BASE_INITS, incident[:4])) == []


def test_a_thin_baseline_needs_a_doubling_beyond_every_baseline_cold_start() -> None:
    incident = [3400.0 + 97.0 * i for i in range(8)]
    (draft,) = cold_start_drafts(cold_handles(BASE_INITS[:3], incident))
    assert draft.kind == FindingKind.cold_start and 0.6 < draft.confidence <= 0.7
    overlapping = [900.0, 950.0, 2500.0, 2600.0, 2700.0, 2800.0]  # 1/3 within the baseline's range
    assert cold_start_drafts(cold_handles(BASE_INITS[:3], overlapping)) == []


def test_a_small_slowdown_is_not_a_cold_start_finding() -> None:
    incident = [v * 1.2 for v in BASE_INITS] * 2  # 1.2x: below the 1.5x ratio
    assert cold_start_drafts(cold_handles(BASE_INITS, incident)) == []


def test_rank_sum_p() -> None:
    assert rank_sum_p([5, 6, 7, 8, 9, 10], [1, 2, 3, 4]) < 0.01
    assert rank_sum_p([1, 2, 3], [1, 2, 3]) > 0.4
    assert rank_sum_p([1, 2, 3], []) == 1.0
    assert rank_sum_p([2.0] * 5, [2.0] * 5) == 1.0  # all tied: no evidence either way
    assert rank_sum_p([10.0, 11.0] * 8, [1.0] * 8) < rank_sum_p([10.0, 11.0] * 4, [1.0] * 8)


# --- signatures and classification --------------------------------------------------------------

NODE_UNCAUGHT = (
    f"2026-11-26T10:00:00.000Z\t{RID}\tERROR\tInvoke Error \t"
    '{"errorType":"TypeError","errorMessage":"Cannot read properties of undefined (reading \'currency\')",'
    '"stack":["TypeError: Cannot read properties of undefined (reading \'currency\')",'
    '"    at Object.get (/var/task/node_modules/lodash/get.js:12:9)",'
    '"    at priceLineItem (/var/task/src/pricing.js:57:38)",'
    '"    at Runtime.handler (/var/task/src/index.js:24:22)"]}'
)


def test_node_uncaught_error_signature_names_type_and_first_own_frame() -> None:
    sig = signature_of(NODE_UNCAUGHT)
    assert sig.error_type == "TypeError"
    assert sig.frame_file == "src/pricing.js" and sig.frame_line == 57
    assert sig.text == "TypeError at src/pricing.js: Cannot read properties of undefined (reading 'currency')"
    assert signature_of(NODE_UNCAUGHT.replace(":57:38", ":61:2")).text == sig.text
    assert has_stack(NODE_UNCAUGHT)


def test_uncaught_errors_with_a_stack_are_runtime_errors() -> None:
    group = "/aws/lambda/cart-service"
    handles = handles_from(stored(logs=logs_evidence(spread("incident", 12, group, NODE_UNCAUGHT))))
    (draft,) = log_drafts(handles)
    assert draft.kind == FindingKind.runtime_error
    assert draft.frame_file == "src/pricing.js"
    java = "ERROR c.a.Handler - failed\njava.lang.IllegalStateException: closed\n\tat com.acme.Handler.run(Handler.java:42)"
    assert has_stack(java) and not has_stack('{"level":"ERROR","message":"at 10:00 it failed"}')


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (
            "[ERROR] Proxy couldn't open a new database connection: ERROR 1040 (08004): Too many connections",
            "dependency_failure",
        ),
        (
            "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on 'db' (timed out)\")",
            "dependency_failure",
        ),
        (
            'psycopg2.OperationalError: connection to server at "db" (10.0.0.1), port 5432 failed: timeout expired',
            "dependency_failure",
        ),
        (
            "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            "dependency_failure",
        ),
        ("Timed out waiting for a database connection after 5 seconds", "dependency_failure"),
        ("(abc) Lambda invocation failed with status: 429. Lambda request id: x", "throttling"),
        ('{"status":"429","error":"Too Many Requests"}', "throttling"),
        ('{"level":"ERROR","message":"order 429 failed validation"}', "log_signature"),
    ],
)
def test_dependency_and_throttling_classification(line: str, kind: str) -> None:
    assert classify(line, None, line, has_stack(line)).value == kind


def test_rds_proxy_style_level_after_timestamp_is_read() -> None:
    sig = signature_of("2026-11-26T10:00:00.000Z [ERROR] [proxyEndpoint=default] Too many connections")
    assert sig.level == "ERROR" and sig.text.startswith("[proxyEndpoint=default]")


def test_service_integration_tasks_are_not_lambda_functions() -> None:
    assert task_function("dynamodb:putItem") is None
    assert task_function("lambda:invoke") is None
    assert task_function("arn:aws:lambda:us-east-1:123456789012:function:reserve-inventory:$LATEST") == (
        "reserve-inventory"
    )
    assert task_function("reserve-inventory") == "reserve-inventory"


# --- correlation and ranking ----------------------------------------------------------------------

UPSTREAM = "/aws/lambda/checkout-api"
PROXY = "/aws/rds/proxy/orders-db-proxy"
TIMEOUT = "Task timed out after 6.00 seconds"
PROXY_DOWN = "2026-11-26T11:40:00.000Z [ERROR] [proxyEndpoint=default] Proxy couldn't open a new database connection: ERROR 1040 (08004): Too many connections"
UPSTREAM_DB = (
    '{"level":"ERROR","message":"database unavailable","errorType":"OperationalError",'
    '"error":"Can\'t connect to MySQL server on \'orders-db-proxy.proxy-c8v1.us-east-1.rds.amazonaws.com\' (timed out)"}'
)


def timeout_rows(count: int, minutes_from: float = 25.0) -> list[LogRow]:
    """``count`` timeouts in the last ``minutes_from`` minutes of the window, newest first."""
    step = minutes_from * 60 / count
    return [
        log_row("incident", WINDOW.end - timedelta(seconds=step * (i + 0.5)), UPSTREAM, f"{RID} {TIMEOUT}")
        for i in range(count)
    ]


def proxy_rows(count: int, minutes_from: float = 26.0) -> list[LogRow]:
    step = minutes_from * 60 / count
    return [
        log_row("incident", WINDOW.end - timedelta(seconds=step * (i + 0.5)), PROXY, PROXY_DOWN)
        for i in range(count)
    ]


def ranked(rows: list[LogRow], metrics=None):  # type: ignore[no-untyped-def]
    objects = stored(logs=logs_evidence(rows), metrics=metrics)
    handles = handles_from(objects)
    packet = build_packet(handles)
    bodies = {key_of(c): o.body for c, o in objects.items()}
    assert grounding_problems(packet, lambda key: bodies[key]) == []
    return handles, packet


def test_timeouts_and_a_dependency_failure_on_one_function_become_one_causal_finding() -> None:
    rows = timeout_rows(20) + spread("incident", 15, UPSTREAM, UPSTREAM_DB)
    handles = handles_from(stored(logs=logs_evidence(rows)))
    drafts = correlate(log_drafts(handles), handles)
    (draft,) = drafts
    assert draft.kind == FindingKind.dependency_failure
    assert any("Task timed out" in s for s in draft.supporting)
    messages = {handles.logs.rows[int(r.pointer.split("/")[2])].message for r in draft.refs}  # type: ignore[union-attr]
    assert any(TIMEOUT in m for m in messages) and UPSTREAM_DB in messages


def test_downstream_named_in_upstream_logs_ranks_first() -> None:
    rows = timeout_rows(20) + spread("incident", 15, UPSTREAM, UPSTREAM_DB) + proxy_rows(8)
    handles, packet = ranked(rows)
    first, second = packet.findings[:2]
    assert (first.kind, first.resource) == (FindingKind.dependency_failure, PROXY)
    assert second.resource == UPSTREAM and second.confidence < first.confidence
    assert "Likely a consequence of" in second.summary and "orders-db-proxy" in second.summary
    assert "explains checkout-api" in first.summary
    # the link is grounded: the proxy finding cites the upstream row that names the proxy
    rows_cited = {handles.logs.rows[int(r.pointer.split("/")[2])].message for r in first.evidence_refs}  # type: ignore[union-attr]
    assert UPSTREAM_DB in rows_cited


def test_caller_that_only_times_out_ranks_below_a_failing_dependency() -> None:
    _, packet = ranked(timeout_rows(20) + proxy_rows(8))
    assert [f.resource for f in packet.findings[:2]] == [PROXY, UPSTREAM]
    assert packet.findings[0].kind == FindingKind.dependency_failure


def test_a_dependency_failure_that_starts_long_after_the_symptom_is_not_its_cause() -> None:
    late = proxy_rows(8, minutes_from=5.0)  # last 5 minutes only; timeouts started 25 minutes ago
    _, packet = ranked(timeout_rows(20) + late)
    assert packet.findings[0].resource == UPSTREAM
    assert all("Likely a consequence" not in f.summary for f in packet.findings)


def test_throttling_ranks_the_deepest_layer_first() -> None:
    table = MetricSpec(
        id="m000_readthrottleevents_sum",
        namespace="AWS/DynamoDB",
        metric="ReadThrottleEvents",
        dimensions={"TableName": "catalog-items"},
        stat="Sum",
        period=60,
        label="AWS/DynamoDB ReadThrottleEvents Sum catalog-items",
        origin="hint",
    )
    throttled = series_for(table, [0.0] * 90, [120.0, 131.0, 140.0, 150.0, 138.0, 129.0] * 5)
    api = "API-Gateway-Execution-Logs_7x1k2m3n4p/prod"
    rows = spread(
        "incident",
        30,
        "/aws/lambda/catalog-api",
        '{"level":"WARNING","message":"GetItem throttled, retrying","error_code":"ProvisionedThroughputExceededException"}',
    ) + spread("incident", 30, api, "(abc) Lambda invocation failed with status: 429. Lambda request id: x")
    _, packet = ranked(rows, metrics=metrics_evidence([table], [throttled]))
    order = [f.resource for f in packet.findings[:3]]
    assert order == ["catalog-items", "/aws/lambda/catalog-api", api]
    assert all(f.kind == FindingKind.throttling for f in packet.findings[:3])


def ddb_spec(index: int, metric: str, **dims: str) -> MetricSpec:
    return MetricSpec(
        id=f"m{index:03d}_{metric.lower()}_sum",
        namespace="AWS/DynamoDB",
        metric=metric,
        dimensions=dict(sorted(dims.items())),
        stat="Sum",
        period=60,
        label=f"AWS/DynamoDB {metric} Sum {dims['TableName']}",
        origin="hint",
    )


def test_a_metric_narrowed_by_operation_joins_the_table_finding() -> None:
    table = ddb_spec(0, "WriteThrottleEvents", TableName="orders")
    by_operation = ddb_spec(1, "ThrottledRequests", TableName="orders", Operation="PutItem")
    incident = [30.0, 41.0, 38.0, 45.0, 36.0, 40.0] * 5
    metrics = metrics_evidence(
        [table, by_operation],
        [series_for(table, [0.0] * 90, incident), series_for(by_operation, [0.0] * 90, incident)],
    )
    rows = spread(
        "incident",
        30,
        "/aws/lambda/orders-api",
        '{"level":"ERROR","message":"PutItem throttled","table":"orders","error_code":"ProvisionedThroughputExceededException"}',
    )
    _, packet = ranked(rows, metrics=metrics)
    assert [f.resource for f in packet.findings] == ["orders", "/aws/lambda/orders-api"]
    assert {r.pointer for r in packet.findings[0].evidence_refs} >= {"/series/0", "/series/1"}


def test_ranking_is_deterministic_whatever_the_input_order() -> None:
    rows = timeout_rows(20) + spread("incident", 15, UPSTREAM, UPSTREAM_DB) + proxy_rows(8)
    handles = handles_from(stored(logs=logs_evidence(rows)))
    forward = [d.title for d in rank(correlate(log_drafts(handles), handles))]
    backward = [d.title for d in rank(correlate(list(reversed(log_drafts(handles))), handles))]
    assert forward == backward


def test_operation_names_are_not_resource_names() -> None:
    from opsrunbook_dagster.analysis.causality import names_of
    from opsrunbook_dagster.analysis.model import Draft

    def draft(resource: str, subject: str) -> Draft:
        return Draft(
            kind=FindingKind.throttling,
            title="t",
            summary="s",
            resource=resource,
            subject=subject,
            severity=Severity.warning,
            confidence=0.8,
        )

    assert names_of(draft("PutItem", "PutItem")) == set()
    assert names_of(draft("orders", "orders")) == {"orders"}
    assert names_of(draft("/aws/rds/proxy/orders-db-proxy", "/aws/rds/proxy/orders-db-proxy")) == {
        "/aws/rds/proxy/orders-db-proxy",
        "orders-db-proxy",
    }
    assert names_of(draft("AWS/Lambda/Errors", "AWS/Lambda")) == set()
    assert names_of(draft("API-Gateway-Execution-Logs_abc/prod", "API-Gateway-Execution-Logs_abc/prod")) == {
        "API-Gateway-Execution-Logs_abc/prod"
    }
