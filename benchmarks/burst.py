"""A burst of incidents through the running stack: submitted at once, drained, and its CPU accounted.

Shared by ``pipeline_bench`` (drain time, median of several bursts) and ``run_cost`` (where the CPU
goes). The CPU window runs from the first submission until every run worker has exited and one
sensor loop has passed (the run-status sensors' write-back of the last runs), so it holds the whole
cost of the burst's runs plus what the stack spends meanwhile anyway (``idle_cpu_s_per_s``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from benchmarks.proc_cpu import Proc, cpu_by_role, snapshot
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import results_key

SENSOR_LOOP_S = 5.0  # dagster's sensor daemon loop (dagster/_daemon/sensor.py MIN_INTERVAL_LOOP_TIME)
#: the roles that are the product (the rest: the AWS sandbox, the benchmark process itself)
NOT_PRODUCT = ("sandbox", "sandbox_children", "bench", "bench_children")
#: py-spy (benchmarks.run_cost) is measuring, not measured: left out of every figure
PROFILER = "profiler"


def variant(event: IncidentEventV1, tag: str) -> IncidentEventV1:
    return event.model_copy(update={"event_id": f"{event.event_id}-{tag}"})


def _finished_keys(deps: PipelineDeps) -> set[str]:
    """Every stored results object: one paginated listing, so polling costs the sandbox little."""
    s3 = deps.client("s3")
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=deps.names.evidence_bucket, Prefix="results/"
    ):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def wait_results(
    deps: PipelineDeps,
    events: list[IncidentEventV1],
    timeout: float,
    poll: float = 0.1,
    slow_poll: float | None = None,
) -> dict[str, float]:
    """When each event's action_results object appeared (polled every ``poll`` seconds).

    With ``slow_poll``, the listing is polled that often while more than a tenth of the events
    (at least 5) are outstanding: the drain is the last result's time, so only the last ones need
    ``poll``'s resolution, and each listing of every results object costs this process and the
    sandbox CPU that the stack under test would otherwise have."""
    wanted = {results_key(e.resolved_incident_id, e.run_id): e.event_id for e in events}
    done: dict[str, float] = {}
    close = max(5, len(events) // 10)
    deadline = time.monotonic() + timeout
    while len(done) < len(events) and time.monotonic() < deadline:
        now = time.monotonic()
        for key in _finished_keys(deps) & wanted.keys():
            done.setdefault(wanted[key], now)
        outstanding = len(events) - len(done)
        time.sleep(slow_poll if slow_poll is not None and outstanding > close else poll)
    return done


def idle_cpu(roots: dict[str, int], seconds: float) -> dict[str, float]:
    """CPU seconds per second, per role, of the stack doing nothing (sensors ticking, heartbeats)."""
    before = snapshot(roots)
    time.sleep(seconds)
    return {k: round(v / seconds, 4) for k, v in cpu_by_role(before, snapshot(roots)).items()}


def _settled(roots: dict[str, int], timeout: float) -> dict[int, Proc]:
    """The snapshot once no run worker is left (then one more sensor loop for the write-back)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(p.role == "run_worker" for p in snapshot(roots).values()):
            break
        time.sleep(0.2)
    time.sleep(SENSOR_LOOP_S)
    return snapshot(roots)


@dataclass
class Burst:
    n: int
    drain_s: float
    done: int
    cpu_window_s: float
    cpu_by_role: dict[str, float]

    @property
    def cpu_s(self) -> float:
        return round(sum(self.cpu_by_role.values()), 3)

    @property
    def product_cpu_s(self) -> float:
        return round(sum(v for k, v in self.cpu_by_role.items() if k not in NOT_PRODUCT), 3)

    def per_run(self, seconds: float) -> float:
        return round(seconds / max(1, self.done), 3)

    def figures(self) -> dict[str, object]:
        return {
            "n": self.n,
            "drain_s": round(self.drain_s, 2),
            "lost": self.n - self.done,
            "cpu_window_s": round(self.cpu_window_s, 1),
            "cpu_s_per_run": self.per_run(self.cpu_s),
            "product_cpu_s_per_run": self.per_run(self.product_cpu_s),
            "cpu_s_per_run_by_role": {k: self.per_run(v) for k, v in self.cpu_by_role.items()},
        }


def run_burst(
    deps: PipelineDeps, events: list[IncidentEventV1], roots: dict[str, int], timeout: float = 600
) -> Burst:
    """Submit ``events`` at once (one thread each), wait for every result, account the CPU."""
    before = snapshot(roots)
    started = time.monotonic()
    threads = [threading.Thread(target=deps.requests.submit, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = wait_results(deps, events, timeout, poll=0.5, slow_poll=2.0)
    drain = (max(done.values()) - started) if done else float("inf")
    after = _settled(roots, timeout=120)
    window = time.monotonic() - started
    cpu = {k: v for k, v in cpu_by_role(before, after).items() if not k.startswith(PROFILER)}
    return Burst(len(events), drain, len(done), window, cpu)
