"""Pipeline benchmark: e2e latency through the real daemon, the in-process floor, bursts of 100, idle RSS.

The burst is run ``--bursts`` times (default 3): ``burst_drain_s`` is the median drain, with
``burst_drain_s_min``/``_max``; ``burst_cpu_s_per_run`` is the CPU time of every process of the stack
(run workers, daemon, webserver, code server, the sandbox, this process) per run, read from /proc
(benchmarks/burst.py), with ``burst_cpu_s_per_run_by_role``: on 2 busy cores drain ≈ CPU-s per run * n / 2.

The daemon figures (e2e, burst) are measured on SQLite instance storage and, where PostgreSQL is
available ($OPSRUNBOOK_TEST_POSTGRES_URL or initdb/pg_ctl), again on Postgres storage (keys ``*_postgres``;
the Postgres server's own memory is not in the RSS figures). Writes benchmarks/results/pipeline.json.
Run with `make bench` (or `python -m benchmarks.pipeline_bench --help` for smaller runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks.burst import SENSOR_LOOP_S, Burst, run_burst, variant, wait_results
from benchmarks.chaos_stack import start_sandbox
from benchmarks.proc_rss import tree_pss_mb, tree_rss_mb
from contracts.actions import ActionFlags
from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.dagster_api import DagsterApi
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import DagsterDev
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from opsrunbook_dagster.sandbox import postgres
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import Scenario, load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import free_port

RESULTS = Path(__file__).parent / "results" / "pipeline.json"
SCENARIO = "lambda-timeout"
E2E_N = int(os.environ.get("BENCH_E2E_N", "20"))
BURST_N = int(os.environ.get("BENCH_BURST_N", "100"))
FLOOR_N = 5
#: bursts per storage; burst_drain_s is their median (one burst on a shared machine is noisy)
BURSTS = int(os.environ.get("BENCH_BURSTS", "3"))
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_S", "75"))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class PeakSampler(threading.Thread):
    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.running = pids, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, sum(tree_rss_mb(p) for p in self.pids))
            time.sleep(0.2)


def _postgres_available() -> bool:
    return bool(os.environ.get(postgres.URL_ENV)) or postgres.bin_dir() is not None


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline_bench", description=__doc__)
    parser.add_argument(
        "--storage",
        choices=["sqlite", "postgres", "both"],
        default="both" if _postgres_available() else "sqlite",
        help="Dagster instance storage(s) for the daemon figures (default: both when PostgreSQL is available)",
    )
    parser.add_argument("--e2e", type=int, default=E2E_N, help="incidents in the e2e latency series")
    parser.add_argument("--burst", type=int, default=BURST_N, help="incidents submitted at once in the burst")
    parser.add_argument("--bursts", type=int, default=BURSTS, help="bursts to run (drain = their median)")
    parser.add_argument("--idle", type=int, default=IDLE_SECONDS, help="seconds of idle RSS sampling (≥ 6)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    scenario = load_scenario(SCENARIO)
    storages = ["sqlite", "postgres"] if args.storage == "both" else [args.storage]
    out: dict[str, object] = {"scenario": SCENARIO, "cores": os.cpu_count()}
    if args.storage != "both" and args.out.exists():
        # one storage re-measured: the other storage's figures stay, with their own run's stamp
        kept = json.loads(args.out.read_text())
        other = "" if storages == ["postgres"] else "_postgres"
        out.update({k: v for k, v in kept.items() if _storage_suffix(k) == other})
    for storage in storages:
        # each storage starts from a fresh sandbox: its figures must not depend on the rows and
        # objects the previous storage's hundreds of runs left behind
        sandbox_proc, endpoint = start_sandbox()
        try:
            figures = _run(scenario, endpoint, sandbox_proc.pid, storage, args)
        finally:
            sandbox_proc.terminate()
            sandbox_proc.wait(timeout=30)
        suffix = "" if storage == "sqlite" else "_postgres"
        out.update({f"{key}{suffix}": value for key, value in figures.items()})
        _write(out, args.out)  # a later storage that fails keeps this one's figures
    _report(out, args.out)
    return 0


def _storage_suffix(key: str) -> str | None:
    """ "_postgres" or "" for a per-storage figure; None for the run-wide keys."""
    if key in ("scenario", "cores"):
        return None
    return "_postgres" if key.endswith("_postgres") else ""


def _run(
    scenario: Scenario, endpoint: str, sandbox_pid: int, storage: str, args: argparse.Namespace
) -> dict[str, object]:
    """The figures of one instance storage, on a sandbox seeded for this run."""
    target = AwsTarget(endpoint_url=endpoint)
    names = ResourceNames()
    ensure_resources(target, names)
    deps = PipelineDeps(target=target, names=names)
    report = seed_scenario(target, scenario, datetime.now(UTC).replace(microsecond=0))
    assert report.request is not None
    base = report.request

    floors = [
        run_inline(deps, variant(base, f"floor{i}"), ActionFlags()).timings["total_s"] for i in range(FLOOR_N)
    ]
    out: dict[str, object] = {
        "floor_p50_s": round(statistics.median(floors), 3),
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    with TemporaryDirectory() as home:
        if storage == "sqlite":
            out.update(_daemon_figures(deps, base, endpoint, sandbox_pid, Path(home), None, args, None))
        else:
            with postgres.throwaway_postgres() as server:
                config = {"postgres": {"postgres_url": server.create_database("opsrunbook_bench")}}
                figures = _daemon_figures(
                    deps, base, endpoint, sandbox_pid, Path(home), config, args, server.pid
                )
                out.update(figures)
    return out


def _daemon_figures(
    deps: PipelineDeps,
    base: IncidentEventV1,
    endpoint: str,
    sandbox_pid: int,
    home: Path,
    storage: dict[str, Any] | None,
    args: argparse.Namespace,
    postgres_pid: int | None,
) -> dict[str, object]:
    """Idle memory, e2e latency and a burst through `dagster dev` on one instance storage (with a
    private Postgres server, its processes are the ``postgres`` role of the CPU per run)."""
    out: dict[str, object] = {}
    stack = DagsterDev(
        home=home, env={**os.environ, **client_env(endpoint)}, port=free_port(), storage=storage
    )
    stack.start()
    try:
        warm = variant(base, "warmup")
        deps.requests.submit(warm)
        wait_results(deps, [warm], 120)
        pids = [sandbox_pid, stack.process.pid]  # type: ignore[union-attr]
        # idle = the settled minimum with nothing to do: the warm-up run has exited and the run
        # launcher's forkserver has passed its idle shutdown (infra/dagster.yaml, 60 s)
        samples = []
        for _ in range(max(6, args.idle)):
            time.sleep(1)
            samples.append((sum(tree_rss_mb(p) for p in pids), sum(tree_pss_mb(p) for p in pids)))
        out["idle_rss_mb"] = round(min(r for r, _ in samples), 1)
        out["idle_pss_mb"] = round(min(p for _, p in samples), 1)
        out["idle_warm_rss_mb"] = round(samples[5][0], 1)  # 5 s after the warm-up, forkserver still up

        first = variant(base, "after-idle")  # pays the forkserver's restart
        started = time.monotonic()
        deps.requests.submit(first)
        out["e2e_first_after_idle_s"] = round(wait_results(deps, [first], 120)[first.event_id] - started, 3)

        # Dagster's sensor daemon ticks every 5 s. Submitting each incident the moment the previous
        # one finished would always land just after a tick (the worst phase, ~5 s whatever the run
        # costs); real incidents arrive at any phase, so the gaps before submissions spread the
        # arrivals evenly over one tick interval (0, 0.25, ..., 4.75 s for 20 incidents).
        latencies = []
        for i in range(args.e2e):
            time.sleep(i * SENSOR_LOOP_S / args.e2e)
            event = variant(base, f"e2e{i}")
            started = time.monotonic()
            deps.requests.submit(event)
            finished = wait_results(deps, [event], 120)
            latencies.append(finished.get(event.event_id, float("inf")) - started)
        out["e2e_n"] = args.e2e
        out["e2e_arrivals"] = f"spread evenly over the {SENSOR_LOOP_S:g} s sensor loop"
        out["e2e_p50_s"] = round(statistics.median(latencies), 3)
        out["e2e_p95_s"] = round(_percentile(latencies, 0.95), 3)

        roots = {"dagster_dev": stack.process.pid, "sandbox": sandbox_pid, "bench": os.getpid()}  # type: ignore[union-attr]
        if postgres_pid is not None:
            roots["postgres"] = postgres_pid
        sampler = PeakSampler(pids)
        sampler.start()
        bursts: list[Burst] = []
        duplicates = 0
        for b in range(max(1, args.bursts)):
            events = [variant(base, f"burst{b}-{i}") for i in range(args.burst)]
            bursts.append(run_burst(deps, events, roots))
            duplicates += _duplicates(DagsterApi(stack.url), events)
        sampler.running = False
        out.update(_burst_figures(bursts, args.burst))
        out["burst_duplicates"] = duplicates
        out["burst_peak_rss_mb"] = round(sampler.peak, 1)
    finally:
        stack.stop()
    return out


def _duplicates(api: DagsterApi, events: Sequence[IncidentEventV1]) -> int:
    duplicates = 0
    for event in events:
        runs = api.runs_for_key(partition_key(event.resolved_incident_id, event.run_id))
        duplicates += max(0, len(runs) - 1)
    return duplicates


def _burst_figures(bursts: list[Burst], n: int) -> dict[str, object]:
    """Median drain of the bursts with min/max; CPU per run (all processes of the stack, the sandbox and
    this process included) as the median over the bursts, and per role as their mean."""
    drains = [b.drain_s for b in bursts]
    middle = sorted(bursts, key=lambda b: b.drain_s)[len(bursts) // 2]
    done = sum(b.done for b in bursts)
    roles = sorted({k for b in bursts for k in b.cpu_by_role})
    return {
        "burst_n": n,
        "bursts": len(bursts),
        "burst_drain_s": round(statistics.median(drains), 2),
        "burst_drain_s_min": round(min(drains), 2),
        "burst_drain_s_max": round(max(drains), 2),
        "burst_drains_s": [round(d, 2) for d in drains],
        "burst_runs_per_min": round(middle.done / middle.drain_s * 60, 1) if middle.done else 0.0,
        "burst_lost": sum(b.n - b.done for b in bursts),
        "burst_cpu_s_per_run": round(statistics.median(b.per_run(b.cpu_s) for b in bursts), 3),
        "burst_product_cpu_s_per_run": round(
            statistics.median(b.per_run(b.product_cpu_s) for b in bursts), 3
        ),
        "burst_cpu_s_per_run_by_role": {
            role: round(sum(b.cpu_by_role.get(role, 0.0) for b in bursts) / max(1, done), 3) for role in roles
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _write(out: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")


def _report(out: dict[str, object], path: Path) -> None:
    print(f"{'':<28} {'':>6}{'sqlite':>10} {'postgres':>10}  target")

    def row(name: str, key: str, target: str = "") -> None:
        values = [out.get(f"{key}{suffix}", "-") for suffix in ("", "_postgres")]
        print(f"{name:<28} {'':>6}{values[0]!s:>10} {values[1]!s:>10}  {target}")

    row("e2e p50 (s)", "e2e_p50_s", "≤ 4")
    row("e2e p95 (s)", "e2e_p95_s", "≤ 6.5")
    row("in-process floor p50 (s)", "floor_p50_s", "≤ 1.5")
    row(
        f"burst {out.get('burst_n', out.get('burst_n_postgres'))}: drain (s)",
        "burst_drain_s",
        "≤ 120 (median)",
    )
    row("burst drain min (s)", "burst_drain_s_min")
    row("burst drain max (s)", "burst_drain_s_max")
    row("burst runs/min", "burst_runs_per_min")
    row("burst CPU-s per run", "burst_cpu_s_per_run", "≤ 2.4")
    row("burst duplicates", "burst_duplicates", "0")
    row("burst lost", "burst_lost", "0")
    row("burst peak RSS (MB)", "burst_peak_rss_mb")
    row("idle stack RSS (MB)", "idle_rss_mb", "≤ 1000")
    row("idle stack PSS (MB)", "idle_pss_mb")
    row("idle RSS, warm pool (MB)", "idle_warm_rss_mb")
    row("first e2e after idle (s)", "e2e_first_after_idle_s")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
