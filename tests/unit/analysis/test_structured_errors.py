"""Errors inside structured (JSON) log lines, as Node, Java and Python loggers write them: the
signature carries the exception's type, its own code's frame and its message, and the finding is a
runtime error, not a log signature named after the log message around it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from contracts.base import TimeWindow
from contracts.evidence import LogRow, LogsEvidenceV1
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.log_findings import classify, log_drafts
from opsrunbook_dagster.analysis.readable import example_text
from opsrunbook_dagster.analysis.signatures import has_stack, signature_of
from opsrunbook_dagster.analysis.structured_errors import level_of
from opsrunbook_dagster.pipeline.snapshot import handles_in_memory

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow(start=NOW - timedelta(minutes=30), end=NOW)
BASELINE = TimeWindow(start=NOW - timedelta(minutes=60), end=NOW - timedelta(minutes=30))

NODE_STACK = (
    "RangeError: Invalid time value\n"
    "    at Date.toISOString (<anonymous>)\n"
    "    at formatSlot (/srv/app/node_modules/slot-kit/lib/format.js:12:9)\n"
    "    at bookSlot (/srv/app/src/booking/book.js:88:17)\n"
    "    at async handler (/srv/app/src/routes/slots.js:40:5)"
)
JAVA_STACK = (
    "java.lang.IllegalStateException: ledger 88123 is closed\n"
    "\tat com.example.ledger.LedgerWriter.append(LedgerWriter.java:214)\n"
    "\tat com.example.ledger.PostingService.post(PostingService.java:97)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)\n"
)
PY_STACK = (
    "Traceback (most recent call last):\n"
    '  File "/app/billing/invoices.py", line 61, in render\n'
    "    total = line_items[sku]\n"
    "KeyError: 'SKU-4471'"
)


def line(**fields: object) -> str:
    return json.dumps(fields, separators=(",", ":"))


def test_pino_numeric_levels_read_as_names() -> None:
    assert [level_of({"level": n}) for n in (10, 20, 30, 40, 50, 60)] == [
        "TRACE",
        "DEBUG",
        "INFO",
        "WARN",
        "ERROR",
        "FATAL",
    ]
    assert level_of({"level": "50"}) == "ERROR"
    assert level_of({"log.level": "warn"}) == "WARN" and level_of({"log": {"level": "error"}}) == "ERROR"
    assert signature_of(line(level=30, msg="request completed", responseTime=12)).level == "INFO"


def test_pino_err_object_gives_the_type_and_the_services_own_frame() -> None:
    message = line(
        level=50,
        time=1764158400000,
        reqId="req-1a2b3c",
        err={"type": "RangeError", "message": "Invalid time value", "stack": NODE_STACK},
        msg="booking failed",
    )
    sig = signature_of(message)
    assert (sig.level, sig.error_type) == ("ERROR", "RangeError")
    assert sig.frame_file == "srv/app/src/booking/book.js", "node_modules frames are skipped"
    assert sig.text == "ERROR RangeError at srv/app/src/booking/book.js: Invalid time value"
    other = message.replace("req-1a2b3c", "req-9f8e7d").replace("1764158400000", "1764158460000")
    assert signature_of(other) == sig
    assert has_stack(message)
    assert classify(sig.text, sig.error_type, message, has_stack(message)) == FindingKind.runtime_error


def test_bunyan_err_with_name_and_no_type() -> None:
    message = line(
        level=50, err={"name": "RangeError", "message": "Invalid time value", "stack": NODE_STACK}, msg="x"
    )
    assert signature_of(message).error_type == "RangeError"


def test_logback_stack_trace_string() -> None:
    message = line(
        **{"@timestamp": "2026-11-26T11:40:00.000Z", "level": "ERROR", "logger_name": "c.e.l.PostingService"},
        message="posting failed for batch 5521",
        stack_trace=JAVA_STACK,
    )
    sig = signature_of(message)
    assert sig.error_type == "java.lang.IllegalStateException"
    assert (sig.frame_file, sig.frame_line) == ("LedgerWriter.java", 214)
    assert sig.text == "ERROR java.lang.IllegalStateException at LedgerWriter.java: ledger <num> is closed"
    assert classify(sig.text, sig.error_type, message, has_stack(message)) == FindingKind.runtime_error


def test_elastic_common_schema_dotted_error_fields() -> None:
    message = line(
        **{
            "@timestamp": "2026-11-26T11:40:00.000Z",
            "log.level": "error",
            "message": "upstream call failed",
            "error.type": "java.net.SocketTimeoutException",
            "error.message": "Read timed out",
            "error.stack_trace": "java.net.SocketTimeoutException: Read timed out\n\tat com.example.Client.get(Client.java:51)",
        }
    )
    sig = signature_of(message)
    assert (sig.level, sig.error_type, sig.frame_file) == (
        "ERROR",
        "java.net.SocketTimeoutException",
        "Client.java",
    )
    assert "Read timed out" in sig.text


def test_python_json_logger_exc_info_and_structlog_exception() -> None:
    for message in (
        line(levelname="ERROR", message="invoice render failed", exc_info=PY_STACK),
        line(level="error", event="invoice render failed", exception=PY_STACK),
    ):
        sig = signature_of(message)
        assert (sig.level, sig.error_type) == ("ERROR", "KeyError"), message
        assert (sig.frame_file, sig.frame_line) == ("app/billing/invoices.py", 61)
        assert "\n" not in sig.text and sig.text.startswith("KeyError at app/billing/invoices.py:render")


def test_a_one_line_error_string_is_a_message_not_a_stack() -> None:
    sig = signature_of(line(level="error", message="payment failed", error="connection refused by 10.0.3.7"))
    assert sig.error_type is None and sig.frame_file is None
    assert sig.text == "ERROR payment failed"


def rows(texts: list[str], window: str, span: TimeWindow) -> list[LogRow]:
    step = (span.end - span.start) / (len(texts) + 1)
    return [
        LogRow(window=window, timestamp=span.start + step * (i + 1), log_group="/ecs/booking", message=t)  # type: ignore[arg-type]
        for i, t in enumerate(texts)
    ]


def drafts_for(incident: list[str], baseline: list[str]) -> list[FindingKind]:
    evidence = LogsEvidenceV1(
        incident_id="inc-1",
        run_id="r0123456789ab",
        window=WINDOW,
        baseline_window=BASELINE,
        collected_at=NOW,
        rows=rows(incident, "incident", WINDOW) + rows(baseline, "baseline", BASELINE),
    )
    return [d.kind for d in log_drafts(handles_in_memory({"logs": evidence}, "inc-1", "r0123456789ab"))]


def test_a_structured_exception_makes_a_runtime_error_finding() -> None:
    error = line(
        level=50, err={"type": "RangeError", "message": "Invalid time value", "stack": NODE_STACK}, msg="x"
    )
    assert drafts_for([error] * 12, []) == [FindingKind.runtime_error]


def test_three_out_of_memory_crashes_and_none_before_are_an_incident_three_warnings_are_not() -> None:
    crash = "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
    assert drafts_for([crash] * 3, []) == [FindingKind.out_of_memory]
    assert drafts_for(["WARN cache miss storm on shard 4"] * 3, []) == []
    assert drafts_for([crash] * 3, [crash] * 2) == [], "as often before: the usual crash rate"


def test_the_title_of_a_structured_error_shows_its_values_never_the_raw_json() -> None:
    message = line(
        level=50,
        err={"type": "RangeError", "message": "slot 1830 out of range 0-1440", "stack": NODE_STACK},
        msg="booking failed",
    )
    sig = signature_of(message)
    assert sig.text == "ERROR RangeError at srv/app/src/booking/book.js: slot <num> out of range <num>-<num>"
    assert example_text(sig.text, message, sig.frame_file) == (
        "ERROR RangeError at srv/app/src/booking/book.js: slot 1830 out of range 0-1440"
    )
    python = line(
        levelname="ERROR",
        message="invoice render failed",
        exc_info=PY_STACK.replace("'SKU-4471'", "'SKU-4471' (retry 3)"),
    )
    sig = signature_of(python)
    shown = example_text(sig.text, python, sig.frame_file)
    assert shown == "KeyError at app/billing/invoices.py:render: 'SKU-4471' (retry 3)"
    assert not shown.startswith("{")
