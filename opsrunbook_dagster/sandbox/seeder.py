"""Seed a running sandbox with one scenario and build the incident request to submit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.canonical import short_hash
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.sandbox.scenario import Scenario
from opsrunbook_dagster.sandbox.seed_logs import seed_logs
from opsrunbook_dagster.sandbox.seed_metrics import seed_metrics
from opsrunbook_dagster.sandbox.seed_stepfn import seed_state_machines


@dataclass
class SeedReport:
    scenario: str
    now: datetime
    log_events: dict[str, int] = field(default_factory=dict)
    metric_points: dict[str, int] = field(default_factory=dict)
    executions: dict[str, dict[str, int]] = field(default_factory=dict)
    request: IncidentEventV1 | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "now": self.now.isoformat(),
            "log_events": self.log_events,
            "metric_points": self.metric_points,
            "executions": self.executions,
        }


def incident_request(scenario: Scenario, now: datetime, end: datetime | None = None) -> IncidentEventV1:
    """The request a caller would submit for this scenario: window ending at ``now``.

    ``end`` (default ``now``) may be later: executions cannot be back-dated, so they run at seeding
    time, and the window is stretched to cover them.
    """
    spec = scenario.incident
    start = now - timedelta(minutes=spec.window_minutes)
    end = max(end or now, now)
    return IncidentEventV1(
        event_id=f"scn-{scenario.name}-{short_hash(scenario.name, now.isoformat(), length=10)}",
        source="sandbox",
        service=scenario.service,
        environment=scenario.environment,
        severity=spec.severity,
        title=spec.title or next(iter(scenario.description.strip().splitlines()), "")[:256] or scenario.name,
        time_window={"start": start, "end": end},
        hints=spec.hints,
    )


def seed_scenario(
    target: AwsTarget,
    scenario: Scenario,
    now: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> SeedReport:
    """Write the scenario's logs, metrics and executions; ``now`` defaults to the wall clock.
    ``progress(what, n)`` hears of every batch written (for a progress display)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    report = SeedReport(scenario=scenario.name, now=moment)
    report.log_events = seed_logs(target.client("logs"), scenario, moment, progress)
    report.metric_points = seed_metrics(target.client("cloudwatch"), scenario, moment, progress)
    report.executions = seed_state_machines(target.client("stepfunctions"), scenario, moment)
    end = moment
    if scenario.state_machines:
        end = max(moment, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1))
    report.request = incident_request(scenario, moment, end)
    return report
