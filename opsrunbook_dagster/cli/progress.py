"""Follow one incident run through the pipeline by watching what it writes (table rows, S3 objects)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import evidence_key, packet_key, plan_key, results_key, snapshot_key


@dataclass
class Stage:
    name: str
    done: Callable[[], bool]


@dataclass
class RunWatcher:
    deps: PipelineDeps
    incident_id: str
    run_id: str
    event_id: str
    seen: dict[str, float] = field(default_factory=dict)

    def _request_status(self) -> str:
        row = self.deps.requests.request(self.event_id)
        return row.status if row else "MISSING"

    def stages(self) -> list[Stage]:
        i, r, objects = self.incident_id, self.run_id, self.deps.objects
        return [
            Stage("sensor picked up the request", lambda: self._request_status() != "REQUESTED"),
            *[
                Stage(f"evidence_{c} stored", lambda c=c: objects.exists(evidence_key(i, r, c)))
                for c in ("logs", "metrics", "stepfn")
            ],
            Stage("evidence_snapshot stored", lambda: objects.exists(snapshot_key(i, r))),
            Stage("incident_packet stored", lambda: objects.exists(packet_key(i, r))),
            Stage("action_plan stored", lambda: objects.exists(plan_key(i, r))),
            Stage("action_results stored", lambda: objects.exists(results_key(i, r))),
        ]

    def follow(
        self, on_stage: Callable[[str, float], None], timeout: float = 180.0, poll: float = 0.25
    ) -> bool:
        """Call ``on_stage(name, seconds)`` as each stage completes; True when all did."""
        started = time.monotonic()
        pending = self.stages()
        while pending and time.monotonic() - started < timeout:
            still = []
            for stage in pending:
                if stage.done():
                    elapsed = time.monotonic() - started
                    self.seen[stage.name] = elapsed
                    on_stage(stage.name, elapsed)
                else:
                    still.append(stage)
            pending = still
            if pending:
                if self._request_status() in ("REJECTED", "FAILED"):
                    return False
                time.sleep(poll)
        return not pending
