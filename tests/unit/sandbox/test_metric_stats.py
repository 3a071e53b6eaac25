"""The sandbox's CloudWatch statistics follow the documented semantics (nearest-rank percentiles,
trimmed and winsorized means over the percentile bounds)."""

from __future__ import annotations

import pytest

from opsrunbook_dagster.sandbox.metric_stats import is_supported, statistic

VALUES = [float(v) for v in range(1, 101)]  # 1..100


@pytest.mark.parametrize(
    ("stat", "expected"),
    [
        ("SampleCount", 100.0),
        ("Sum", 5050.0),
        ("Average", 50.5),
        ("Minimum", 1.0),
        ("Maximum", 100.0),
        ("p50", 50.0),
        ("p90", 90.0),
        ("p99", 99.0),
        ("p99.9", 100.0),
        ("p100", 100.0),
        ("tm90", 45.5),  # mean of 1..90
        ("TM(10%:90%)", 50.5),  # mean of 11..90
        ("IQM", 50.5),  # mean of 26..75
        ("tc90", 90.0),
        ("ts90", 4095.0),
        ("TS(:50%)", 1275.0),
        ("wm90", (sum(range(1, 91)) + 10 * 90) / 100),
        ("WM(10%:90%)", (10 * 10 + sum(range(11, 91)) + 10 * 90) / 100),
    ],
)
def test_statistics_of_one_to_a_hundred(stat: str, expected: float) -> None:
    assert statistic(VALUES, stat) == pytest.approx(expected)


def test_a_percentile_is_always_one_of_the_samples() -> None:
    samples = [3.2, 0.4, 9.9, 5.0, 1.1]
    assert statistic(samples, "p50") == 3.2
    assert statistic(samples, "p99") == 9.9
    assert statistic([7.0], "p1") == 7.0


def test_no_samples_no_value_and_unknown_statistics_are_refused() -> None:
    assert statistic([], "p99") is None
    assert not is_supported("p101") and not is_supported("median") and is_supported("TM(5%:95%)")
    with pytest.raises(ValueError, match="unsupported"):
        statistic(VALUES, "median")
