"""The deterministic analyzer: signatures, masking, Poisson novelty, metric anomalies, packet determinism."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from contracts.base import TimeWindow
from contracts.canonical import canonical_json
from contracts.evidence import (
    ExecutionRecord,
    LogRow,
    LogsEvidenceV1,
    MetricSeries,
    MetricsEvidenceV1,
    MetricSpec,
    SourceResult,
    StateMachineSummary,
    StepFnEvidenceV1,
)
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.analysis.log_findings import log_drafts
from opsrunbook_dagster.analysis.masking import mask
from opsrunbook_dagster.analysis.metric_findings import analyse_series, metric_drafts
from opsrunbook_dagster.analysis.model import EvidenceHandles
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.analysis.signatures import signature_of
from opsrunbook_dagster.analysis.stats import poisson_sf
from opsrunbook_dagster.collectors.budgets import Budgets
from opsrunbook_dagster.collectors.finalize import StoredEvidence, finalize
from opsrunbook_dagster.pipeline.snapshot import handles_in_memory

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow(start=NOW - timedelta(minutes=30), end=NOW)
BASELINE = TimeWindow(start=NOW - timedelta(minutes=60), end=NOW - timedelta(minutes=30))
RID = "3f1c0a2e-1b2c-4d5e-8f90-123456789abc"
RID2 = "8c6a0e5f-3b2d-4e1a-9f7c-6b5a4d3e2f1a"
BUCKET = "opsrunbook-evidence"
MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:order-fulfillment"

# --- signatures -------------------------------------------------------------------------------


def test_lambda_timeout_lines_share_one_signature() -> None:
    first = signature_of(f"2026-11-26T10:00:00.000Z {RID} Task timed out after 3.00 seconds")
    second = signature_of(f"2026-11-26T11:17:42.519Z {RID2} Task timed out after 900.00 seconds")
    assert first == second
    assert first.text == "Task timed out after <num> seconds"
    assert first.error_type == "Lambda.Timeout"
    assert first.level == "ERROR"


def test_json_log_line_signature_uses_level_type_and_masked_message() -> None:
    line = (
        '{"level":"error","timestamp":"2026-11-26T10:00:00.000Z","requestId":"%s",'
        '"errorType":"PaymentDeclined","message":"card 4242 declined for order 17 (request %s)"}'
    )
    sig = signature_of(line % (RID, RID))
    assert sig.text == "ERROR PaymentDeclined: card <num> declined for order <num> (request <uuid>)"
    assert (sig.level, sig.error_type) == ("ERROR", "PaymentDeclined")
    assert signature_of(line.replace("4242", "1881").replace("17", "9") % (RID2, RID2)) == sig
    assert signature_of(line.replace("PaymentDeclined", "CardExpired") % (RID, RID)) != sig
    info = signature_of('{"level":"INFO","message":"charge authorized","amount_cents":4200}')
    assert (info.text, info.level, info.error_type) == ("INFO charge authorized", "INFO", None)


PY_TRACEBACK = """[ERROR] ClientError: An error occurred (ProvisionedThroughputExceededException) when calling the PutItem operation (reached max retries: 9): Rate of requests exceeds the allowed throughput.
Traceback (most recent call last):
  File "/var/task/app/handler.py", line 42, in handler
    return reserve(event)
  File "/var/task/app/inventory.py", line 17, in reserve
    table.put_item(Item=item)
  File "/var/lang/lib/python3.11/site-packages/boto3/resources/factory.py", line 581, in do_action
    response = action(self, *args, **kwargs)
  File "/var/runtime/botocore/client.py", line 1023, in _make_api_call
    raise error_class(parsed_response, operation_name)"""


def test_python_traceback_gives_exception_type_and_innermost_app_frame() -> None:
    sig = signature_of(PY_TRACEBACK)
    assert sig.error_type == "ClientError"
    assert sig.frame_file == "app/inventory.py" and sig.frame_line == 17
    assert sig.text.startswith("ClientError at app/inventory.py:reserve: An error occurred (")
    assert "(reached max retries: <num>)" in sig.text
    assert "site-packages" not in sig.text and "botocore" not in sig.text
    # Another occurrence with shifted line numbers and counts is the same problem.
    moved = PY_TRACEBACK.replace("line 17", "line 23").replace("retries: 9", "retries: 4")
    assert signature_of(moved).text == sig.text


def test_plain_python_traceback_takes_the_last_line() -> None:
    message = (
        "Traceback (most recent call last):\n"
        '  File "/var/task/app.py", line 3, in handler\n'
        "    parse(event)\n"
        '  File "/var/task/app.py", line 9, in parse\n'
        "    raise ValueError(f'bad quantity {q}')\n"
        "ValueError: bad quantity 17"
    )
    sig = signature_of(message)
    assert sig.text == "ValueError at app.py:parse: bad quantity <num>"
    assert (sig.error_type, sig.frame_file, sig.frame_line) == ("ValueError", "app.py", 9)


def test_node_stack_signature_names_the_first_frame_file() -> None:
    message = (
        f"2026-11-26T10:00:00.000Z\t{RID}\tERROR\tTypeError: Cannot read properties of undefined (reading 'id')\n"
        "    at processOrder (/var/task/src/orders.js:42:17)\n"
        "    at Runtime.handler (/var/task/index.js:10:5)"
    )
    sig = signature_of(message)
    assert sig.text == "TypeError: Cannot read properties of undefined (reading 'id') at src/orders.js"
    assert sig.level == "ERROR"
    other = message.replace(RID, RID2).replace(":42:17", ":44:3").replace("10:00:00.000", "10:05:31.250")
    assert signature_of(other) == sig


# --- masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"request {RID} failed", "request <uuid> failed"),
        ("connect to 10.0.3.17:5432 refused", "connect to <ip> refused"),
        ("from 192.168.0.1 ok", "from <ip> ok"),
        ("object deadbeefcafe1234 missing", "object <hex> missing"),
        ("pointer 0x7f3a9c21 invalid", "pointer <hex> invalid"),
        ("took 123 ms, retry 3 of -4.5", "took <num> ms, retry <num> of <num>"),
        (
            "invoke arn:aws:lambda:us-east-1:123456789012:function:payment-gateway:$LATEST failed",
            "invoke <arn> failed",
        ),
        (
            "state arn:aws:states:us-east-1:123456789012:stateMachine:orders, retrying",
            "state <arn>, retrying",
        ),
        ("at 2026-11-26T10:00:00.123Z and 2026-11-26 10:00:00,5", "at <ts> and <ts>"),
        ("at 12:01:02.5 exactly", "at <ts> exactly"),
        ("v2 s3 x86_64 utf8 ok", "v2 s3 x86_64 utf8 ok"),
        ("  spaced\t\tout  \n text ", "spaced out text"),
    ],
)
def test_mask_replaces_variable_tokens(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_mask_is_idempotent() -> None:
    text = f"user {RID} at 10.0.0.1 took 55 ms at 2026-11-26T10:00:00Z id 0xdeadbeef"
    assert mask(mask(text)) == mask(text)


def test_a_plain_line_is_masked_only_when_its_text_is_asked_for() -> None:
    sig = signature_of(f"[ERROR]\t2026-11-26T10:00:00.000Z\t{RID}\tcharge 4242 failed after 3 retries")
    assert sig.body == "charge 4242 failed after 3 retries" and sig.level == "ERROR"
    assert "text" not in vars(sig)  # grouping by mined template never needed it
    assert sig.text == "charge <num> failed after <num> retries" == mask(sig.body)


# --- evidence builders ------------------------------------------------------------------------


def at(minutes_before_end: float) -> datetime:
    return NOW - timedelta(minutes=minutes_before_end)


def log_row(window: str, moment: datetime, group: str, message: str) -> LogRow:
    return LogRow(window=window, timestamp=moment, log_group=group, message=message)  # type: ignore[arg-type]


def spread(window: str, count: int, group: str, message: str) -> list[LogRow]:
    """``count`` rows evenly spread over the incident or baseline window, newest first."""
    span = WINDOW if window == "incident" else BASELINE
    step = span.seconds / max(count, 1)
    return [
        log_row(window, span.end - timedelta(seconds=step * (i + 0.5)), group, message) for i in range(count)
    ]


def logs_evidence(rows: list[LogRow]) -> LogsEvidenceV1:
    groups = sorted({r.log_group for r in rows})
    return LogsEvidenceV1(
        incident_id="inc-analysis",
        run_id="r0123456789ab",
        window=WINDOW,
        baseline_window=BASELINE,
        collected_at=NOW,
        sources=[SourceResult(source=g, status="complete") for g in groups],  # type: ignore[arg-type]
        rows=rows,
    )


def metrics_evidence(specs: list[MetricSpec], series: list[MetricSeries]) -> MetricsEvidenceV1:
    return MetricsEvidenceV1(
        incident_id="inc-analysis",
        run_id="r0123456789ab",
        window=WINDOW,
        baseline_window=TimeWindow(start=NOW - timedelta(minutes=120), end=WINDOW.start),
        collected_at=NOW,
        period_seconds=60,
        specs=specs,
        series=series,
        sources=[SourceResult(source=s.label, status="complete") for s in specs],  # type: ignore[arg-type]
    )


def spec(metric: str, stat: str = "Sum", index: int = 0, function: str = "payment-gateway") -> MetricSpec:
    return MetricSpec(
        id=f"m{index:03d}_{metric.lower()}_{stat.lower()}",
        namespace="AWS/Lambda",
        metric=metric,
        dimensions={"FunctionName": function},
        stat=stat,
        period=60,
        label=f"AWS/Lambda {metric} {stat} {function}",
        origin="lambda",
    )


def series_for(s: MetricSpec, baseline: list[float], incident: list[float]) -> MetricSeries:
    """Points every minute: ``baseline`` before the window start, ``incident`` inside the window."""
    start = WINDOW.start
    stamps = [start - timedelta(minutes=len(baseline) - i) for i in range(len(baseline))]
    stamps += [start + timedelta(minutes=i) for i in range(len(incident))]
    return MetricSeries(
        id=s.id, label=s.label, status_code="Complete", timestamps=stamps, values=[*baseline, *incident]
    )


def stepfn_evidence() -> StepFnEvidenceV1:
    executions = [
        ExecutionRecord(
            execution_arn=f"arn:aws:states:us-east-1:123456789012:execution:order-fulfillment:run-{i:04d}",
            state_machine_arn=MACHINE_ARN,
            name=f"run-{i:04d}",
            status="FAILED",
            start_date=at(20 - i),
            stop_date=at(20 - i) + timedelta(seconds=1),
            failed_state="ReservationFailed",
            error="InventoryUnavailable",
            cause=f"InventoryUnavailable: warehouse IAD-3 reported 0 units available for SKU-2091{i}",
            task_resource="arn:aws:lambda:us-east-1:123456789012:function:reserve-inventory",
            events_examined=10,
        )
        for i in range(4)
    ]
    return StepFnEvidenceV1(
        incident_id="inc-analysis",
        run_id="r0123456789ab",
        window=WINDOW,
        collected_at=NOW,
        sources=[SourceResult(source=MACHINE_ARN, status="complete")],  # type: ignore[arg-type]
        state_machines=[
            StateMachineSummary(
                name="order-fulfillment",
                arn=MACHINE_ARN,
                counts={"FAILED": 4, "TIMED_OUT": 0, "ABORTED": 0, "SUCCEEDED": 6},
                failure_ratio=0.4,
            )
        ],
        executions=executions,
    )


def stored(
    logs: LogsEvidenceV1 | None = None,
    metrics: MetricsEvidenceV1 | None = None,
    stepfn: StepFnEvidenceV1 | None = None,
) -> dict[str, StoredEvidence]:
    raw = {"logs": logs, "metrics": metrics, "stepfn": stepfn}
    return {c: finalize(e, Budgets()) for c, e in raw.items() if e is not None}


def key_of(collector: str) -> str:
    return f"evidence/inc-analysis/r0123456789ab/{collector}.json"


def handles_from(objects: dict[str, StoredEvidence]) -> EvidenceHandles:
    """Handles as the pipeline builds them: each stored object cited by key and sha256."""
    return handles_in_memory(
        {c: obj.model for c, obj in objects.items()}, "payment-gateway", "prod", bucket=BUCKET
    )


# --- Poisson novelty --------------------------------------------------------------------------

NEW_ERROR = (
    '{"level":"ERROR","message":"reservation failed","errorType":"InventoryUnavailable","sku":"SKU-20917"}'
)
OLD_ERROR = '{"level":"ERROR","message":"cache miss for key user","errorType":"CacheMiss"}'


def test_poisson_tail_probabilities() -> None:
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(12, 0.5) < 1e-10
    assert 0.4 < poisson_sf(400, 400.0) < 0.6
    assert poisson_sf(20, 20.0) > 0.4
    assert poisson_sf(5, 1.0) == pytest.approx(1 - sum(0.36787944117 / f for f in (1, 1, 2, 6, 24)), rel=1e-6)


def test_new_signature_with_12_hits_outranks_a_steady_one_with_400() -> None:
    rows = (
        spread("incident", 12, "/aws/lambda/reserve-inventory", NEW_ERROR)
        + spread("incident", 400, "/aws/lambda/healthy-service", OLD_ERROR)
        + spread("baseline", 400, "/aws/lambda/healthy-service", OLD_ERROR)
    )
    handles = handles_from(stored(logs=logs_evidence(rows)))
    drafts = log_drafts(handles)
    assert [(d.resource, d.count, d.baseline_count) for d in drafts] == [
        ("/aws/lambda/reserve-inventory", 12, 0)
    ]
    assert drafts[0].signature == "ERROR InventoryUnavailable: reservation failed"
    assert "new in this window" in drafts[0].summary
    packet = build_packet(handles)
    assert packet.findings[0].resource == "/aws/lambda/reserve-inventory"
    assert packet.findings[0].confidence > 0.6
    assert all("healthy-service" not in f.resource for f in packet.findings)


def test_steady_signature_produces_no_finding() -> None:
    rows = spread("incident", 20, "/aws/lambda/checkout-api", OLD_ERROR) + spread(
        "baseline", 20, "/aws/lambda/checkout-api", OLD_ERROR
    )
    handles = handles_from(stored(logs=logs_evidence(rows)))
    assert log_drafts(handles) == []
    packet = build_packet(handles)
    assert packet.findings == []
    assert packet.summary == "No anomaly found in the examined evidence."


def test_too_few_or_merely_doubled_hits_are_not_findings() -> None:
    group = "/aws/lambda/checkout-api"
    few = spread("incident", 2, group, NEW_ERROR)
    assert log_drafts(handles_from(stored(logs=logs_evidence(few)))) == []
    # 30 vs 20: below the 2x ratio
    modest = spread("incident", 30, group, OLD_ERROR) + spread("baseline", 20, group, OLD_ERROR)
    assert log_drafts(handles_from(stored(logs=logs_evidence(modest)))) == []
    # 60 vs 20: a real increase
    tripled = spread("incident", 60, group, OLD_ERROR) + spread("baseline", 20, group, OLD_ERROR)
    drafts = log_drafts(handles_from(stored(logs=logs_evidence(tripled))))
    assert [(d.count, d.baseline_count) for d in drafts] == [(60, 20)]
    assert "3.0x the 20 in the 30 min before" in drafts[0].summary


def test_timeout_rows_become_a_lambda_timeout_finding_citing_rows() -> None:
    group = "/aws/lambda/payment-gateway"
    rows = [
        log_row(
            "incident",
            at(m),
            group,
            f"2026-11-26T11:{59 - m:02d}:00.000Z {RID} Task timed out after 3.00 seconds",
        )
        for m in range(15)
    ]
    handles = handles_from(stored(logs=logs_evidence(rows)))
    (draft,) = log_drafts(handles)
    assert draft.kind == FindingKind.lambda_timeout
    assert draft.subject == "payment-gateway"
    assert draft.severity.value == "critical"
    assert (draft.first_seen, draft.last_seen) == (at(14), at(0))
    assert all(r.pointer.startswith("/rows/") and r.s3_key == key_of("logs") for r in draft.refs)
    assert len(draft.refs) == 5


# --- metric anomalies -------------------------------------------------------------------------

BASE_ERRORS = [float(v) for v in [0, 1, 0, 0, 2, 1, 0, 1, 0, 0] * 9]  # 90 min of low noise


def test_level_shift_up_on_errors_is_flagged() -> None:
    s = spec("Errors")
    shifted = series_for(s, BASE_ERRORS, [8.0, 9.0, 11.0, 10.0, 9.0, 12.0] * 5)
    result = analyse_series(s, shifted, WINDOW.start.timestamp())
    assert result is not None
    z, point, description = result
    assert z >= 4.0
    assert description == "level shift: median 9.5 vs baseline median 0 over the 90 min before the window"
    assert shifted.values[point] == 12.0
    handles = handles_from(stored(metrics=metrics_evidence([s], [shifted])))
    (draft,) = metric_drafts(handles)
    assert draft.kind == FindingKind.metric_anomaly
    assert draft.subject == "payment-gateway"
    assert draft.signature == "AWS/Lambda/Errors/Sum"
    assert [r.pointer for r in draft.refs] == ["/series/0", f"/series/0/values/{point}"]


def test_drop_on_errors_is_not_flagged() -> None:
    s = spec("Errors")
    base = [float(v) for v in [10, 11, 9, 10, 12, 10, 9, 11, 10, 10] * 9]
    dropped = series_for(s, base, [0.0] * 30)
    assert analyse_series(s, dropped, WINDOW.start.timestamp()) is None
    assert metric_drafts(handles_from(stored(metrics=metrics_evidence([s], [dropped])))) == []


def test_flat_series_is_not_flagged() -> None:
    for metric, stat, value in (
        ("Errors", "Sum", 5.0),
        ("Duration", "Average", 140.0),
        ("Errors", "Sum", 0.0),
    ):
        s = spec(metric, stat)
        flat = series_for(s, [value] * 90, [value] * 30)
        assert analyse_series(s, flat, WINDOW.start.timestamp()) is None, (metric, value)


def test_drop_in_invocations_is_flagged_and_throttles_are_throttling() -> None:
    invocations, throttles = spec("Invocations", index=0), spec("Throttles", index=1)
    base = [float(v) for v in [100, 104, 98, 101, 97, 103] * 15]
    handles = handles_from(
        stored(
            metrics=metrics_evidence(
                [invocations, throttles],
                [
                    series_for(invocations, base, [20.0, 22.0, 18.0] * 10),
                    series_for(throttles, [0.0] * 90, [15.0, 30.0, 22.0] * 10),
                ],
            )
        )
    )
    kinds = {d.signature: d.kind for d in metric_drafts(handles)}
    assert kinds == {
        "AWS/Lambda/Invocations/Sum": FindingKind.metric_anomaly,
        "AWS/Lambda/Throttles/Sum": FindingKind.throttling,
    }


def test_single_baseline_spike_does_not_mask_a_level_shift() -> None:
    s = spec("Errors")
    base = list(BASE_ERRORS)
    base[40] = 50.0  # one outlier in the baseline (robust median/MAD ignores it)
    result = analyse_series(s, series_for(s, base, [9.0] * 30), WINDOW.start.timestamp())
    assert result is not None and result[0] >= 4.0


def test_too_short_baseline_is_not_judged() -> None:
    s = spec("Errors")
    assert analyse_series(s, series_for(s, [0.0] * 5, [50.0] * 30), WINDOW.start.timestamp()) is None


# --- whole packet: determinism and grounding --------------------------------------------------


def full_evidence() -> dict[str, StoredEvidence]:
    group = "/aws/lambda/payment-gateway"
    rows = [
        log_row(
            "incident",
            at(m + 0.5),
            group,
            f"2026-11-26T11:00:00.000Z {RID} Task timed out after 3.00 seconds",
        )
        for m in range(20)
    ]
    rows += [
        log_row(
            "incident",
            at(m + 0.5),
            group,
            f"REPORT RequestId: {RID}\tDuration: 3000.00 ms\tMemory Size: 512 MB",
        )
        for m in range(20)
    ]
    rows += spread("incident", 16, "/aws/lambda/healthy-service", OLD_ERROR)
    rows += spread("baseline", 16, "/aws/lambda/healthy-service", OLD_ERROR)
    duration, errors = spec("Duration", "Average", 0), spec("Errors", "Sum", 1)
    metrics = metrics_evidence(
        [duration, errors],
        [
            series_for(duration, [140.0, 150.0, 135.0, 145.0, 142.0, 138.0] * 15, [2990.0, 2995.0] * 15),
            series_for(errors, BASE_ERRORS, [3.0, 4.0, 3.0] * 10),
        ],
    )
    return stored(logs=logs_evidence(rows), metrics=metrics, stepfn=stepfn_evidence())


def test_build_packet_twice_is_byte_identical() -> None:
    objects = full_evidence()
    first = build_packet(handles_from(objects))
    second = build_packet(handles_from(objects))
    assert canonical_json(first) == canonical_json(second)
    assert first.packet_hashes is not None
    assert first.packet_hashes.content_sha256 == first.compute_content_hash()
    # Rebuilt from freshly collected (equal) evidence: still identical.
    assert canonical_json(build_packet(handles_from(full_evidence()))) == canonical_json(first)


def test_packet_from_stored_bodies_is_the_same_and_fully_grounded() -> None:
    objects = full_evidence()
    packet = build_packet(handles_from(objects))
    # What the analyzer would load back from S3: the models parsed from the stored bytes.
    reloaded = {
        c: StoredEvidence(model=type(o.model).model_validate_json(o.body), body=o.body, sha256=o.sha256)
        for c, o in objects.items()
    }
    assert canonical_json(build_packet(handles_from(reloaded))) == canonical_json(packet)
    bodies = {key_of(c): o.body for c, o in objects.items()}

    def read(key: str) -> bytes:
        if key not in bodies:
            raise LookupError(key)
        return bodies[key]

    assert packet.findings, "the evidence holds real problems"
    assert grounding_problems(packet, read) == []
    kinds = [f.kind for f in packet.findings]
    assert FindingKind.lambda_timeout in kinds and FindingKind.stepfn_failure in kinds
    timeout = next(f for f in packet.findings if f.kind == FindingKind.lambda_timeout)
    assert "Supporting signals" in timeout.summary, "Duration/Errors anomalies join the timeout finding"
    assert all("healthy-service" not in f.resource for f in packet.findings)
    # Tampering with a stored object is detected.
    tampered = json.loads(bodies[key_of("logs")])
    tampered["rows"][0]["message"] = "edited"
    bodies[key_of("logs")] = json.dumps(tampered).encode()
    assert any("sha256 mismatch" in p for p in grounding_problems(packet, read))
