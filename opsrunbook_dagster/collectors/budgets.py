"""Size budgets for evidence objects, and the request every collector works from.

Defaults: 2,000 rows per Insights query (the head of any error distribution; Insights allows
10,000), 4 KB per log line (a Lambda traceback fits; CloudWatch events reach 256 KB), 1 MB per
logs/Step Functions object and 4 MB for metrics (500 queries x up to 1,440 points; the season probe
fetches as many again and is the first thing shed when the object is over budget).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.base import TimeWindow
from contracts.incident_event import IncidentEventV1


@dataclass(frozen=True)
class Budgets:
    rows_per_query: int = 2_000
    report_rows_per_query: int = 500
    bytes_per_line: int = 4_096
    bytes_per_object: int = 1_000_000
    bytes_per_metrics_object: int = 4_000_000
    executions_per_machine: int = 25
    history_events: int = 200
    cause_chars: int = 2_000
    list_executions_max: int = 1_000

    def object_limit(self, collector: str) -> int:
        return self.bytes_per_metrics_object if collector == "metrics" else self.bytes_per_object


@dataclass(frozen=True)
class CollectRequest:
    """What one collector run needs, derived from the incident request."""

    incident_id: str
    run_id: str
    event: IncidentEventV1
    state_machine_arns: dict[str, str] = field(default_factory=dict)

    @property
    def window(self) -> TimeWindow:
        return self.event.time_window

    @property
    def baseline_window(self) -> TimeWindow:
        """Equal length, immediately before the incident window."""
        length = self.window.end - self.window.start
        return TimeWindow(start=self.window.start - length, end=self.window.start)

    @classmethod
    def from_event(cls, event: IncidentEventV1) -> CollectRequest:
        return cls(incident_id=event.resolved_incident_id, run_id=event.run_id, event=event)


def truncate_text(text: str, max_bytes: int) -> tuple[str, bool]:
    """Cut ``text`` to at most ``max_bytes`` UTF-8 bytes (on a character boundary)."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text, False
    return raw[: max_bytes - 3].decode("utf-8", errors="ignore") + "…", True


def metric_lookback(window: TimeWindow) -> timedelta:
    """History fetched before the incident window for metric baselines: 3x the window, 1 h to 3 d."""
    length = window.end - window.start
    return min(max(length * 3, timedelta(hours=1)), timedelta(days=3))


def metric_period(window: TimeWindow) -> int:
    """Period (s) keeping a series (lookback + window) at or under 1,440 points, in whole minutes."""
    return _period_for(window.end - window.start + metric_lookback(window))


#: the season probe: how far back a second, coarser fetch of every metric looks for a daily pattern
SEASON_LOOKBACK = timedelta(days=7)
#: CloudWatch keeps 1-minute points 15 days, 5-minute points 63 days, then hourly ones (455 days)
_RETENTION = ((timedelta(days=15), 1), (timedelta(days=63), 5))


def season_period(window: TimeWindow, now: datetime) -> int:
    """Period (s) of the season probe: ``SEASON_LOOKBACK`` before the window to its end at or under
    1,440 points, and no finer than CloudWatch still keeps for data as old as the probe's start."""
    finest = next((m for age, m in _RETENTION if now - (window.start - SEASON_LOOKBACK) <= age), 60)
    return max(_period_for(window.end - window.start + SEASON_LOOKBACK), finest * 60)


def _period_for(span: timedelta) -> int:
    minutes = max(1, -(-int(span.total_seconds()) // (1_440 * 60)))
    for candidate in (1, 5, 10, 15, 30, 60, 120, 360, 720, 1440):
        if candidate >= minutes:
            return candidate * 60
    return 1440 * 60
