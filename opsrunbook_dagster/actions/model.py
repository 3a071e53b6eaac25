"""What an action handler gets and returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from contracts.actions import ActionPlanV1, ActionStatus, ActionType, ExternalRef, PlannedAction
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.http_bodies import RenderContext
from opsrunbook_dagster.charts.metric_charts import Chart


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ActionContext:
    """One action of one plan, plus what earlier actions of the run produced (their links)."""

    packet: IncidentPacketV1
    plan: ActionPlanV1
    action: PlannedAction
    render: RenderContext = field(default_factory=RenderContext)
    #: Log lines the findings cite (stack frames for repository verification), loaded on demand.
    evidence_lines: Callable[[], list[str]] = field(default=lambda: [])
    #: The run's charts (PNG), attached to the ticket and committed with the PR.
    charts: Sequence[Chart] = ()

    @property
    def incident_id(self) -> str:
        return self.plan.incident_id

    @property
    def finding_set(self) -> str:
        return self.plan.finding_set_sha256


@dataclass
class Outcome:
    """A handler's answer: ``succeeded`` (created, updated or found up to date) or ``skipped``."""

    status: ActionStatus
    reason: str
    external_ref: ExternalRef | None = None
    request: dict[str, Any] | None = None


class ActionHandler(Protocol):
    action_type: ActionType
    #: True when a repeated attempt finds what an earlier (crashed) attempt created, so a
    #: PENDING row may be taken over; False (Teams) means at-most-once: never resend.
    finds_previous: bool

    def run(self, ctx: ActionContext) -> Outcome: ...
