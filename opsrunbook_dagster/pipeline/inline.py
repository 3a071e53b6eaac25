"""Run every stage in this process, without Dagster: the ``analyze`` command and the benchmark floor."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from contracts.actions import ActionFlags, ActionPlanV1, ActionResultV1
from contracts.incident_event import IncidentEventV1
from contracts.packet import IncidentPacketV1
from contracts.snapshot import RepoMapCopy
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.collect import collect_all
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import packet_stage, plan_stage, results_stage
from opsrunbook_dagster.pipeline.snapshot import build_snapshot


@dataclass
class InlineRun:
    packet: IncidentPacketV1
    plan: ActionPlanV1
    results: list[ActionResultV1]
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"packet": self.packet, "plan": self.plan, "results": self.results, "timings": self.timings}


def run_inline(
    deps: PipelineDeps,
    event: IncidentEventV1,
    flags: ActionFlags,
    *,
    repo_map: RepoMapCopy | None = None,
    runtime: ActionsRuntime | None = None,
) -> InlineRun:
    """Submit ``event`` and run collect → snapshot → packet → plan → results (``repo_map``: the
    repository map to bind into the snapshot; ``runtime``: how live action clients are built)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    outcome = deps.requests.submit(event)
    incident_id, run_id = outcome.incident_id, outcome.run_id
    mark = time.perf_counter()
    collected = collect_all(deps, event)
    timings["collect_s"] = time.perf_counter() - mark
    timings.update({f"collect_{c}_s": round(v.seconds, 4) for c, v in collected.items()})
    mark = time.perf_counter()
    build_snapshot(deps, event, repo_map)
    timings["snapshot_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    packet, _ = packet_stage(deps, incident_id, run_id)
    timings["packet_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    plan, _ = plan_stage(deps, incident_id, run_id, flags)
    results, _ = results_stage(deps, incident_id, run_id, runtime=runtime)
    timings["plan_and_results_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return InlineRun(
        packet=packet, plan=plan, results=results, timings={k: round(v, 4) for k, v in timings.items()}
    )
