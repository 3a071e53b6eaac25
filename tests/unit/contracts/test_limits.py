"""One set of limits: whatever intake accepts, the evidence contracts can store (hypothesis).

Before: a 300-character dimension value or a 512-character log group was accepted (202) and then
failed the evidence contract (Name, 256) in the run; a namespace + metric over ~250 characters
made a metric label over 256; a window near year 1 overflowed the baseline arithmetic (500).
This checks the contracts and the collectors' spec derivation, not a whole run (see docs/security.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.evidence import LogQuery, LogRow
from contracts.incident_event import IncidentEventV1
from contracts.limits import DIMENSION_VALUE_MAX, LOG_GROUP_NAME_MAX, METRIC_NAME_MAX, METRIC_NAMESPACE_MAX
from opsrunbook_dagster.collectors.budgets import metric_lookback
from opsrunbook_dagster.collectors.metric_specs import derive_specs

END = datetime(2026, 11, 1, tzinfo=UTC)
log_group = st.text("abcXYZ019._-/#", min_size=1, max_size=LOG_GROUP_NAME_MAX).filter(
    lambda s: s.strip() == s
)
word = st.text("abcdefXYZ0123_-./", min_size=1, max_size=40)


def _long(max_size: int) -> Any:
    return st.one_of(word, st.text("abcXYZ019", min_size=max_size - 5, max_size=max_size))


def _event(hints: dict[str, Any], start: datetime = END - timedelta(hours=1)) -> IncidentEventV1:
    return IncidentEventV1.model_validate(
        {
            "event_id": "evt-limits-0001",
            "service": "payments",
            "environment": "prod",
            "severity": "critical",
            "time_window": {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
            "hints": hints,
        }
    )


@settings(max_examples=25, deadline=None)
@given(
    groups=st.lists(log_group, min_size=1, max_size=3),
    namespace=_long(METRIC_NAMESPACE_MAX).filter(lambda s: not s.startswith(":")),
    metric=_long(METRIC_NAME_MAX),
    dim_value=_long(DIMENSION_VALUE_MAX),
)
def test_every_accepted_hint_fits_the_evidence_contracts(
    groups: list[str], namespace: str, metric: str, dim_value: str
) -> None:
    try:
        event = _event(
            {
                "log_groups": groups,
                "metrics": [
                    {"namespace": namespace, "metric": metric, "dimensions": {"Resource": dim_value}}
                ],
            }
        )
    except ValidationError:
        return  # refused at intake (422): nothing to store
    hints = event.hints
    for group in hints.log_groups:
        LogRow(window="incident", timestamp=END, log_group=group, message="m")
    LogQuery(
        window="incident",
        log_groups=hints.log_groups,
        query_string="q",
        start=END,
        end=END,
        status="Complete",
    )
    explicit = [(m.namespace, m.metric, dict(m.dimensions), m.stat) for m in hints.metrics]
    specs = derive_specs([], [], explicit, 60)  # validates MetricSpec (label, dimensions)
    assert specs and specs[0].dimensions == {"Resource": dim_value}


def test_the_longest_accepted_values_fit() -> None:
    """The deterministic edge of the property: every field at its intake maximum."""
    event = _event(
        {
            "log_groups": ["/" + "a" * (LOG_GROUP_NAME_MAX - 1)],
            "metrics": [
                {
                    "namespace": "N" * METRIC_NAMESPACE_MAX,
                    "metric": "M" * METRIC_NAME_MAX,
                    "dimensions": {"D" * 255: "v" * DIMENSION_VALUE_MAX},
                    "stat": "p99.99",
                }
            ],
        }
    )
    LogRow(window="incident", timestamp=END, log_group=event.hints.log_groups[0], message="m")
    m = event.hints.metrics[0]
    derive_specs([], [], [(m.namespace, m.metric, dict(m.dimensions), m.stat)], 60)


@pytest.mark.parametrize("year", [1, 2, 1969, 1999])
def test_a_window_before_2000_is_refused_at_intake(year: int) -> None:
    start = datetime(year, 1, 2, tzinfo=UTC)
    with pytest.raises(ValidationError, match="before 2000-01-01"):
        _event({"log_groups": ["/a"]}, start=start)
    metric_lookback(
        _event({"log_groups": ["/a"]}).time_window
    )  # an accepted window has room for its lookback
