"""Throttling that hurts nothing (retried, no errors, no slowdown) is held below actionable; one sign
of impact anywhere and every finding keeps its confidence."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.base import Severity
from contracts.packet import FindingKind, MetricBand
from opsrunbook_dagster.analysis.model import Draft
from opsrunbook_dagster.analysis.throttle_impact import CAP, has_impact, hold_harmless_throttling

AT = datetime(2026, 11, 26, 2, 10, tzinfo=UTC)


def metric(kind: FindingKind, name: str, value: float, baseline: float, confidence: float = 0.9) -> Draft:
    band = MetricBand(
        series_id="m0",
        scale="level",
        points=30,
        baseline_start=AT,
        baseline_median=baseline,
        value=value,
        anomaly_start=AT,
        anomaly_end=AT,
    )
    return Draft(
        kind=kind,
        title=f"x: {name}",
        summary=f"{name} moved.",
        resource="x",
        subject="x",
        severity=Severity.warning,
        confidence=confidence,
        signature=f"AWS/SQS/{name}/Sum",
        metric=band,
    )


def log(kind: FindingKind, signature: str, confidence: float = 0.93) -> Draft:
    return Draft(
        kind=kind,
        title=f"writer: {signature}",
        summary="lines.",
        resource="/aws/lambda/writer",
        subject="writer",
        severity=Severity.warning,
        confidence=confidence,
        signature=signature,
    )


def nightly_batch() -> list[Draft]:
    return [
        metric(FindingKind.throttling, "WriteThrottleEvents", 52, 0),
        log(FindingKind.throttling, "WARNING throttled, retrying: ProvisionedThroughputExceededException"),
        metric(FindingKind.metric_anomaly, "ApproximateNumberOfMessagesVisible", 1780, 0, 0.85),
    ]


def test_throttling_that_is_retried_and_hurts_nothing_is_held_below_actionable() -> None:
    drafts = nightly_batch()
    assert has_impact(drafts) is False
    hold_harmless_throttling(drafts, has_impact(drafts))
    assert [d.confidence for d in drafts] == [CAP, CAP, CAP]
    assert all("back-pressure, not an outage" in d.summary for d in drafts)


def test_one_sign_of_impact_anywhere_keeps_every_confidence() -> None:
    for harm in (
        log(FindingKind.log_signature, "ERROR BatchWriteItem failed after 10 attempts"),
        log(FindingKind.throttling, "ERROR TooManyRequestsException: Rate Exceeded."),
        log(FindingKind.runtime_error, "KeyError at writer.py:put"),
        metric(FindingKind.metric_anomaly, "Duration", 4_100, 900),
        metric(FindingKind.metric_anomaly, "HTTPCode_Target_5XX_Count", 40, 0),
        metric(FindingKind.metric_anomaly, "ApproximateAgeOfOldestMessage", 3_600, 60),
        metric(FindingKind.metric_anomaly, "HealthyHostCount", 1, 4),
    ):
        drafts = [*nightly_batch(), harm]
        assert has_impact(drafts) is True, harm.signature
        hold_harmless_throttling(drafts, has_impact(drafts))
        assert [d.confidence for d in drafts[:3]] == [0.9, 0.93, 0.85], harm.signature


def test_a_warning_log_or_a_falling_duration_is_no_impact() -> None:
    drafts = [
        *nightly_batch(),
        log(FindingKind.log_signature, "WARN UnprocessedItems: 12 retried"),
        metric(FindingKind.metric_anomaly, "Duration", 300, 900),
    ]
    assert has_impact(drafts) is False


def test_a_backlog_without_throttling_is_left_alone() -> None:
    drafts = [metric(FindingKind.metric_anomaly, "ApproximateNumberOfMessagesVisible", 1780, 0, 0.85)]
    hold_harmless_throttling(drafts, has_impact(drafts))
    assert drafts[0].confidence == 0.85
