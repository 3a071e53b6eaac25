"""Finding titles show one real occurrence's values and the baseline; the template stays the signature."""

from __future__ import annotations

from collections import Counter

import pytest

from opsrunbook_dagster.analysis.log_findings import log_drafts
from opsrunbook_dagster.analysis.metric_findings import metric_drafts
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.analysis.readable import example_text, filled, metric_title
from opsrunbook_dagster.collectors.redaction import redact_text
from tests.unit.analysis.test_analysis import (
    BASE_ERRORS,
    RID,
    at,
    handles_from,
    log_row,
    logs_evidence,
    metrics_evidence,
    series_for,
    spec,
    spread,
    stored,
)

GROUP = "/aws/lambda/payment-gateway"


def _timeouts(seconds: list[str]) -> list:  # type: ignore[type-arg]
    """One timeout a minute, newest first; ``seconds[-1]`` is the earliest occurrence."""
    n = len(seconds)
    return [
        log_row(
            "incident",
            at(m),
            GROUP,
            f"2026-11-26T11:{59 - m:02d}:00.000Z {RID} Task timed out after {s} seconds",
        )
        for m, s in zip(range(n), reversed(seconds), strict=True)
    ]


def test_timeout_title_shows_the_first_occurrence_and_the_baseline() -> None:
    rows = _timeouts(["6.01"] + ["3.00"] * 14)
    (draft,) = log_drafts(handles_from(stored(logs=logs_evidence(rows))))
    finding = draft.to_finding()
    assert (
        finding.title
        == "payment-gateway: Task timed out after 6.01 seconds — 15 times in 30 min, 0 in the 30 min before"
    )
    assert finding.signature == "Task timed out after <num> seconds"
    assert "<" not in finding.title and "<" not in finding.summary
    assert "new in this window (none in the 30 min before)" in finding.summary
    assert "'Task timed out after 6.01 seconds'" in finding.summary


def test_the_representative_is_chosen_by_time_then_row_order() -> None:
    early = log_row(
        "incident", at(20), GROUP, f"2026-11-26T11:40:00.000Z {RID} Task timed out after 9.99 seconds"
    )
    tie = log_row(
        "incident", at(20), GROUP, f"2026-11-26T11:40:00.000Z {RID} Task timed out after 1.11 seconds"
    )
    rows = _timeouts(["3.00"] * 5)
    first = log_drafts(handles_from(stored(logs=logs_evidence([*rows, early, tie]))))[0]
    again = log_drafts(handles_from(stored(logs=logs_evidence([*rows, early, tie]))))[0]
    assert "after 9.99 seconds" in first.shown and first.shown == again.shown
    swapped = log_drafts(handles_from(stored(logs=logs_evidence([*rows, tie, early]))))[0]
    assert "after 1.11 seconds" in swapped.shown


def test_increase_over_baseline_names_both_counts() -> None:
    message = "ERROR CacheMiss: cache miss for key user-4411 after 250 ms"
    rows = spread("incident", 60, "/aws/lambda/checkout-api", message) + spread(
        "baseline", 20, "/aws/lambda/checkout-api", message.replace("4411", "9")
    )
    (draft,) = log_drafts(handles_from(stored(logs=logs_evidence(rows))))
    assert draft.shown.endswith("— 60 times in 30 min, 20 in the 30 min before")
    assert "<" not in draft.shown and "<" in (draft.signature or "")


def test_titles_come_from_redacted_evidence() -> None:
    raw = "ERROR UploadDenied: upload denied for key AKIAIOSFODNN7EXAMPLE size 42"
    hits: Counter[str] = Counter()
    redacted = redact_text(raw, hits)
    assert "AKIAIOSFODNN7EXAMPLE" not in redacted
    rows = spread("incident", 12, "/aws/lambda/checkout-api", redacted)
    (draft,) = log_drafts(handles_from(stored(logs=logs_evidence(rows))))
    assert "AKIA" not in draft.shown and "AKIA" not in draft.summary
    assert "upload denied for key [REDACTED" in draft.shown


def test_metric_title_shows_the_level_against_the_baseline() -> None:
    s = spec("Errors")
    shifted = series_for(s, BASE_ERRORS, [8.0, 9.0, 11.0, 10.0, 9.0, 12.0] * 5)
    (draft,) = metric_drafts(handles_from(stored(metrics=metrics_evidence([s], [shifted]))))
    assert draft.shown == "payment-gateway: Errors (Sum) level shift: median 9.5 vs baseline median 0"
    assert draft.title == "payment-gateway: Errors (Sum) anomalous"  # the ranking key is unchanged
    assert "over the 90 min before the window" in draft.summary


def test_packet_summary_and_ranking_use_readable_titles_deterministically() -> None:
    rows = _timeouts(["6.01"] + ["3.00"] * 14)
    packet = build_packet(handles_from(stored(logs=logs_evidence(rows))))
    assert "Task timed out after 6.01 seconds" in packet.summary
    assert build_packet(handles_from(stored(logs=logs_evidence(rows)))) == packet


@pytest.mark.parametrize(
    ("template", "message", "frame", "expected"),
    [
        (
            "Task timed out after <num> seconds",
            "x Task timed out after 6.01 seconds",
            None,
            "Task timed out after 6.01 seconds",
        ),
        (
            "connect to <*> failed after <num> ms",
            "E connect to db:5432 failed after 30 ms",
            None,
            "connect to db:5432 failed after 30 ms",
        ),
        ("bad date <*>", "ERROR bad date 31/12/2026 for user", None, "bad date 31/12/2026 for user"),
        (
            "ValueError: bad <*> at handler.py",
            "[ERROR] ValueError: bad 31/12\nTraceback",
            "handler.py",
            "ValueError: bad 31/12 at handler.py",
        ),
        ("no <num> here", "something else entirely", None, None),
        ("plain text", "plain text", None, None),
    ],
)
def test_filled(template: str, message: str, frame: str | None, expected: str | None) -> None:
    assert filled(template, message, frame) == expected


def test_example_text_falls_back_to_the_template_or_the_first_line() -> None:
    assert example_text("plain text", "anything") == "plain text"
    assert example_text("no <num> here", "\nfirst line\nsecond") == "first line"


def test_metric_title_drops_the_baseline_extent() -> None:
    description = "spike: 5980 vs baseline median 1020 over the 3 d before the window"
    assert (
        metric_title("fn", "Duration", "p99", description)
        == "fn: Duration (p99) spike: 5980 vs baseline median 1020"
    )
    shifted = "level shift: median 3 vs baseline median 1 from 2026-11-26 10:00 on, after a level change"
    assert (
        metric_title("fn", "Errors", "Sum", shifted)
        == "fn: Errors (Sum) level shift: median 3 vs baseline median 1"
    )
