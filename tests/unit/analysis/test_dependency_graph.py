"""The dependency graph across services (issue #13): edges from names, ARNs, hosts, tasks and the
errors a caller quotes; the callee's own condition ranks first and both findings are linked; no
edge, no link; a healthy callee never takes the top rank. Synthetic evidence only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from contracts.evidence import LogRow, MetricSpec
from contracts.packet import CausalLink, Finding, FindingKind, IncidentPacketV1
from opsrunbook_dagster.analysis.dependency_graph import build_edges
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.analysis.log_findings import log_drafts
from opsrunbook_dagster.analysis.metric_findings import metric_drafts
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.analysis.service_calls import Named, arn_name, named_in, services_quoted
from tests.unit.analysis import test_analysis as ta

ORDERS = "/aws/lambda/order-api"
FRAUD_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fraud-score"
RATE = (
    '{"level":"ERROR","message":"fraud check failed","error":"TooManyRequestsException: Rate Exceeded.",'
    '"function":"%s"}'
)
BASE = [float(v) for v in [12, 14, 13, 15, 12, 13] * 15]  # 90 minutes of a steady level


def metric(namespace: str, name: str, dims: dict[str, str], index: int, stat: str = "Sum") -> MetricSpec:
    return MetricSpec(
        id=f"m{index:03d}_{name.lower()}_{stat.lower()}",
        namespace=namespace,
        metric=name,
        dimensions=dims,
        stat=stat,
        period=60,
        label=f"{namespace} {name} {stat} {next(iter(dims.values()))}",
        origin="hint",
    )


CONCURRENT = metric("AWS/Lambda", "ConcurrentExecutions", {"FunctionName": "fraud-score"}, 0, "Maximum")
THROTTLES = metric("AWS/Lambda", "Throttles", {"FunctionName": "fraud-score"}, 1)
RISK_THROTTLES = metric("AWS/Lambda", "Throttles", {"FunctionName": "risk-rules"}, 2)
DB_CPU = metric("AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "billing-db"}, 3, "Average")


def saturated(spec: MetricSpec):  # type: ignore[no-untyped-def]
    """Steady in the baseline, pinned high through the window."""
    return ta.series_for(spec, BASE, [50.0, 50.0, 49.0, 50.0, 50.0, 50.0] * 5)


def throttled(spec: MetricSpec):  # type: ignore[no-untyped-def]
    return ta.series_for(spec, [0.0] * 90, [30.0, 41.0, 38.0, 45.0, 36.0, 40.0] * 5)


def packet_of(rows: list[LogRow], specs=(), series=(), stepfn=None) -> IncidentPacketV1:  # type: ignore[no-untyped-def]
    objects = ta.stored(
        logs=ta.logs_evidence(rows) if rows else None,
        metrics=ta.metrics_evidence(list(specs), list(series)) if specs else None,
        stepfn=stepfn,
    )
    packet = build_packet(ta.handles_from(objects))
    bodies = {ta.key_of(c): o.body for c, o in objects.items()}
    assert grounding_problems(packet, lambda key: bodies[key]) == []  # links' refs included
    return packet


def by_id(packet: IncidentPacketV1) -> dict[str, Finding]:
    return {f.id: f for f in packet.findings}


def only_link(links: list[CausalLink]) -> CausalLink:
    assert len(links) == 1, links
    return links[0]


def assert_linked(packet: IncidentPacketV1, cause: Finding, symptom: Finding, basis: str) -> None:
    """Both ends name each other, with the same evidence: the caller's side and the callee's."""
    down, up = only_link(cause.explains), only_link(symptom.caused_by)
    assert (down.finding_id, up.finding_id) == (symptom.id, cause.id)
    assert down == up.model_copy(update={"finding_id": symptom.id})
    assert down.basis == basis
    assert down.symptom_refs and down.cause_refs
    symptom_refs = {(r.collector, r.pointer) for r in symptom.evidence_refs}
    cause_refs = {(r.collector, r.pointer) for r in cause.evidence_refs}
    assert {(r.collector, r.pointer) for r in down.symptom_refs} <= symptom_refs | cause_refs
    assert {(r.collector, r.pointer) for r in down.cause_refs} <= cause_refs


# --- names in messages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FRAUD_ARN + ":live", Named("lambda", "fraud-score")),
        (
            "arn:aws:dynamodb:eu-west-1:123456789012:table/wallet-tx/index/by-day",
            Named("dynamodb", "wallet-tx"),
        ),
        (ta.MACHINE_ARN, Named("states", "order-fulfillment")),
        ("arn:aws:rds:us-east-1:123456789012:db:billing-db", Named("rds", "billing-db")),
    ],
)
def test_arns_name_their_resource(text: str, expected: Named) -> None:
    assert arn_name(text) == expected


def test_names_come_from_arns_and_aws_hosts_in_order() -> None:
    text = (
        "Connection to billing-db.c8v1xyz.us-east-1.rds.amazonaws.com:5432 refused; "
        "retrying via arn:aws:lambda:us-east-1:123456789012:function:fallback-writer"
    )
    assert named_in(text) == [Named("rds", "billing-db"), Named("lambda", "fallback-writer")]
    assert named_in("TypeError: x is undefined") == []


@pytest.mark.parametrize(
    ("text", "services"),
    [
        ("TooManyRequestsException: Rate Exceeded.", ["lambda"]),
        ("ProvisionedThroughputExceededException for one or more global secondary indexes", ["dynamodb"]),
        ("HikariPool-1 - Connection is not available (SQLTransientConnectionException)", ["rds"]),
        ("FATAL: remaining connection slots are reserved for superuser", ["rds"]),
        ("TypeError: Cannot read properties of undefined", []),
    ],
)
def test_quoted_errors_name_the_callee_service(text: str, services: list[str]) -> None:
    assert services_quoted(text) == services


# --- edges, ranking and links ---------------------------------------------------------------------


def test_an_arn_in_the_callers_errors_makes_the_saturated_callee_the_root_cause() -> None:
    rows = ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN)
    packet = packet_of(rows, [CONCURRENT], [saturated(CONCURRENT)])
    cause, symptom = packet.findings[:2]
    # ConcurrentExecutions pinned at its cap is the callee throttling its caller
    assert (cause.kind, cause.resource) == (FindingKind.throttling, "fraud-score")
    assert symptom.resource == ORDERS and symptom.confidence < cause.confidence
    assert_linked(packet, cause, symptom, "arn")
    assert "fraud-score is failing its callers (order-api)" in packet.hypotheses[0].statement


def test_a_quoted_service_error_links_the_only_callee_of_that_service_with_a_condition() -> None:
    rows = ta.spread("incident", 20, ORDERS, RATE % "")  # names no function
    packet = packet_of(rows, [THROTTLES], [throttled(THROTTLES)])
    cause, symptom = packet.findings[:2]
    assert (cause.kind, cause.resource, symptom.resource) == (FindingKind.throttling, "fraud-score", ORDERS)
    assert_linked(packet, cause, symptom, "service")


def test_two_callees_of_the_quoted_service_are_ambiguous_and_get_no_edge() -> None:
    rows = ta.spread("incident", 20, ORDERS, RATE % "")
    packet = packet_of(rows, [THROTTLES, RISK_THROTTLES], [throttled(THROTTLES), throttled(RISK_THROTTLES)])
    assert all(not f.caused_by and not f.explains for f in packet.findings)


def test_no_edge_no_link() -> None:
    """A caller error that names nothing and quotes no service; a database busy at the same time."""
    rows = ta.spread(
        "incident", 20, ORDERS, '{"level":"ERROR","errorType":"TypeError","message":"x is undefined"}'
    )
    packet = packet_of(rows, [DB_CPU], [saturated(DB_CPU)])
    assert {f.resource for f in packet.findings} >= {ORDERS, "billing-db"}
    assert all(not f.caused_by and not f.explains for f in packet.findings)
    assert all("Likely a consequence" not in f.summary for f in packet.findings)


def test_a_healthy_callee_does_not_take_the_top_rank() -> None:
    rows = ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN)
    flat = ta.series_for(CONCURRENT, BASE, BASE[:30])  # the callee's metrics show nothing
    packet = packet_of(rows, [CONCURRENT], [flat])
    assert packet.findings[0].resource == ORDERS
    assert all(f.resource != "fraud-score" for f in packet.findings)
    assert all(not f.caused_by and not f.explains for f in packet.findings)


def test_a_callee_metric_going_the_harmless_way_is_no_condition() -> None:
    """Fewer invocations of the callee is what its failing caller causes, not a cause."""
    invocations = metric("AWS/Lambda", "Invocations", {"FunctionName": "fraud-score"}, 4)
    rows = ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN)
    drop = ta.series_for(
        invocations, [float(v) for v in [100, 104, 98, 101, 97, 103] * 15], [20.0, 22.0, 18.0] * 10
    )
    packet = packet_of(rows, [invocations], [drop])
    assert packet.findings[0].resource == ORDERS
    assert all(not f.caused_by and not f.explains for f in packet.findings)


def test_ecs_service_timing_out_on_a_saturated_database() -> None:
    message = (
        "2026-11-26 11:40:00.123 ERROR 1 --- [nio-8080-exec-7] o.h.engine.jdbc.spi.SqlExceptionHelper : "
        "HikariPool-1 - Connection is not available, request timed out after 30000ms."
    )
    rows = ta.spread("incident", 25, "/ecs/billing-api", message)
    packet = packet_of(rows, [DB_CPU], [saturated(DB_CPU)])
    cause, symptom = packet.findings[:2]
    assert (cause.kind, cause.resource) == (FindingKind.dependency_failure, "billing-db")
    assert symptom.resource == "/ecs/billing-api"
    assert_linked(packet, cause, symptom, "service")


def test_a_workflow_failing_because_its_task_function_crashes_ranks_the_function_first() -> None:
    crash = (
        "[ERROR] ValueError: bad warehouse code\nTraceback (most recent call last):\n"
        '  File "/var/task/app/reserve.py", line 12, in handler\n    code = parse(event)\n'
    )
    rows = [
        ta.log_row(
            "incident", ta.WINDOW.end - timedelta(minutes=21 - i), "/aws/lambda/reserve-inventory", crash
        )
        for i in range(6)
    ]
    packet = packet_of(rows, stepfn=ta.stepfn_evidence())
    cause = packet.findings[0]
    assert (cause.kind, cause.resource) == (FindingKind.runtime_error, "/aws/lambda/reserve-inventory")
    workflow = next(f for f in packet.findings if f.kind == FindingKind.stepfn_failure)
    assert_linked(packet, cause, workflow, "task")
    assert only_link(workflow.caused_by).symptom_refs[0].collector == "stepfn"


def test_edges_do_not_depend_on_the_input_order() -> None:
    rows = ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN) + ta.spread(
        "incident", 10, "/aws/lambda/audit", '{"level":"ERROR","errorType":"KeyError","message":"id"}'
    )
    handles = ta.handles_from(
        ta.stored(
            logs=ta.logs_evidence(rows), metrics=ta.metrics_evidence([THROTTLES], [throttled(THROTTLES)])
        )
    )

    def edges(reverse: bool) -> list[tuple[str, str, str]]:
        drafts = log_drafts(handles) + metric_drafts(handles)
        drafts = list(reversed(drafts)) if reverse else drafts
        return sorted(
            (drafts[e.symptom].resource, drafts[e.cause].resource, e.basis)
            for e in build_edges(drafts, handles, {})
        )

    assert edges(False) == edges(True) == [(ORDERS, "fraud-score", "arn")]


def test_packets_with_links_are_byte_identical_and_ids_ignore_links() -> None:
    rows = ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN)
    first = packet_of(rows, [THROTTLES], [throttled(THROTTLES)])
    again = packet_of(rows, [THROTTLES], [throttled(THROTTLES)])
    assert first.model_dump_json() == again.model_dump_json()
    linked = next(f for f in first.findings if f.explains)
    assert linked.model_copy(update={"explains": []}).derive_id() == linked.id


def test_packets_from_before_links_load_with_their_ids_and_links_must_resolve() -> None:
    packet = packet_of(
        ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN), [THROTTLES], [throttled(THROTTLES)]
    )
    old = json.loads(packet.model_dump_json())
    for finding in old["findings"]:
        del finding["caused_by"], finding["explains"]  # the shape ta.stored before links existed
    assert [f.id for f in IncidentPacketV1.model_validate(old).findings] == [f.id for f in packet.findings]
    dangling = json.loads(packet.model_dump_json())
    dangling["findings"] = [f for f in dangling["findings"] if not f["caused_by"]]  # drop the symptom
    with pytest.raises(ValidationError, match="not in the packet"):
        IncidentPacketV1.model_validate(dangling)


def test_a_database_log_group_and_its_metrics_are_one_component() -> None:
    """The caller quotes database errors; the database's own log and its CPU are one callee (not
    two candidates that make the call ambiguous, nor a cause and a symptom of each other)."""
    db_log = "/aws/rds/instance/billing-db/postgresql"
    rows = ta.spread(
        "incident",
        25,
        "/ecs/billing-api",
        "ERROR HikariPool-1 - Connection is not available (SQLTransientConnectionException)",
    ) + ta.spread(
        "incident",
        20,
        db_log,
        "2026-11-26 11:40:00 UTC::@:[411]:FATAL:  remaining connection slots are reserved",
    )
    packet = packet_of(rows, [DB_CPU], [saturated(DB_CPU)])
    assert "billing-db" in packet.findings[0].resource
    assert packet.findings[0].kind == FindingKind.dependency_failure
    caller = next(f for f in packet.findings if f.resource == "/ecs/billing-api")
    causes = {by_id(packet)[link.finding_id].resource for link in caller.caused_by}
    assert causes and all("billing-db" in r for r in causes)
    database = [f for f in packet.findings if "billing-db" in f.resource]
    assert all(not f.caused_by for f in database)


def test_opsrunbook_show_prints_both_ends_of_a_link() -> None:
    from opsrunbook_dagster.cli.incident_text import incident_report
    from opsrunbook_dagster.pipeline.incident_view import IncidentView

    packet = packet_of(
        ta.spread("incident", 20, ORDERS, RATE % FRAUD_ARN), [THROTTLES], [throttled(THROTTLES)]
    )
    text = incident_report(IncidentView("inc-1", "r0123456789ab", {"service": "order-api"}, None, packet))
    assert "explains #2 (its log lines carry an ARN or host of fraud-score)" in text
    assert "caused by #1 (its log lines carry an ARN or host of fraud-score)" in text


# --- a caller's metric of a dependency ------------------------------------------------------------


def test_a_callers_metric_of_a_named_dependency_is_about_the_dependency() -> None:
    """A metric the caller publishes per dependency (errors by ``Gateway`` and ``service``) is about
    the dependency, not a qualifier of the caller's own Duration: the dependency its failing lines
    name (a third-party host) ranks first as the cause, linked to the caller's failure."""
    calls = metric("Payments", "GatewayErrors", {"Gateway": "paywise", "service": "checkout-api"}, 0)
    duration = metric("AWS/Lambda", "Duration", {"FunctionName": "checkout-api"}, 1, "Average")
    slow = ta.series_for(duration, [300.0, 320.0, 310.0] * 30, [1900.0, 2100.0, 2000.0] * 10)
    rows = ta.spread(
        "incident",
        30,
        "/aws/lambda/checkout-api",
        "ERROR charge failed: 502 Bad Gateway from https://api.paywise.example/v2/charges after 1 retry",
    )
    packet = packet_of(rows, [calls, duration], [throttled(calls), slow])
    top = packet.findings[0]
    assert (top.kind, top.resource) == (FindingKind.dependency_failure, "paywise")
    caller = next(f for f in packet.findings if f.resource == "/aws/lambda/checkout-api")
    assert_linked(packet, top, caller, "named")
