"""Run cost: where every CPU-second of an incident run goes, per process role and per step.

    python -m benchmarks.run_cost --label before [--runs 30] [--launcher local|stock]
        [--coordinator default|queued] [--no-profile]

Starts the sandbox and `dagster dev` (infra/dagster.yaml; ``--launcher stock`` swaps in Dagster's
DefaultRunLauncher), runs warm-up incidents, measures the idle stack for 10 s, then submits ``--runs``
incidents at once and accounts the CPU of every process until they are done (benchmarks/burst.py:
/proc utime+stime, reaped run workers included). With py-spy (the bench extra) each role is sampled
meanwhile and its seconds are split by category (benchmarks/cpu_profile.py). Also counts the Dagster
events each run wrote, their serialized size and the instance storage's growth on disk. Merges the
figures into benchmarks/results/run_cost.json under ``--label``, with the load average: the host may
be shared, so CPU seconds, not wall time, are the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import dagster as dg

from benchmarks import cpu_profile
from benchmarks.burst import idle_cpu, run_burst, variant, wait_results
from benchmarks.chaos_stack import start_sandbox
from benchmarks.proc_cpu import snapshot
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import REPO_ROOT, DagsterDev
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import free_port

RESULTS = Path(__file__).parent / "results" / "run_cost.json"
SCENARIO = "lambda-timeout"
STOCK_LAUNCHER = {"run_launcher": {"module": "dagster", "class": "DefaultRunLauncher"}}
#: the production coordinator, with the local in-flight cap (the sensor's) and a fast dequeue loop
QUEUED_COORDINATOR = {
    "run_coordinator": {
        "module": "dagster",
        "class": "QueuedRunCoordinator",
        "config": {"max_concurrent_runs": 6, "dequeue_interval_seconds": 1, "dequeue_use_threads": True},
    }
}
PROFILED = ("daemon", "code_server", "webserver", "forkserver", "sandbox")
EVENT_SAMPLE = 10


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_cost", description=__doc__)
    parser.add_argument("--label", required=True, help="key in run_cost.json (e.g. before, after)")
    parser.add_argument("--runs", type=int, default=30, help="incidents submitted at once")
    parser.add_argument("--launcher", choices=["local", "stock"], default="local")
    parser.add_argument("--coordinator", choices=["default", "queued"], default="default")
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy (CPU per role only)")
    parser.add_argument("--keep-profiles", type=Path, help="copy py-spy's raw stacks into this folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def _commit() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True)
    return head.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")


def _disk_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    sandbox, endpoint = start_sandbox()
    try:
        target = AwsTarget(endpoint_url=endpoint)
        ensure_resources(target, ResourceNames())
        deps = PipelineDeps(target=target, names=ResourceNames())
        report = seed_scenario(target, load_scenario(SCENARIO), datetime.now(UTC).replace(microsecond=0))
        assert report.request is not None
        with TemporaryDirectory() as home:
            figures = _measure(deps, report.request, endpoint, sandbox.pid, Path(home), args)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    stored = json.loads(args.out.read_text()) if args.out.exists() else {}
    stored[args.label] = figures
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    print(json.dumps(figures, indent=2, sort_keys=True))
    print(f"wrote {args.out} [{args.label}]", file=sys.stderr)
    return 0


def _measure(
    deps: PipelineDeps,
    base: IncidentEventV1,
    endpoint: str,
    sandbox_pid: int,
    home: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    stack = DagsterDev(
        home=home / "dagster",
        env={**os.environ, **client_env(endpoint)},
        port=free_port(),
        overrides={
            **(STOCK_LAUNCHER if args.launcher == "stock" else {}),
            **(QUEUED_COORDINATOR if args.coordinator == "queued" else {}),
        },
    )
    stack.start()
    try:
        warm = [variant(base, f"cost-warm{i}") for i in range(2)]
        for event in warm:  # one at a time: the first pays the forkserver's start
            deps.requests.submit(event)
            wait_results(deps, [event], 120)
        time.sleep(3)
        roots = {"dagster_dev": stack.process.pid, "sandbox": sandbox_pid, "bench": os.getpid()}  # type: ignore[union-attr]
        idle = idle_cpu(roots, 10.0)
        recorders = _start_recorders(roots, home) if not args.no_profile else {}
        disk_before = _disk_bytes(stack.home)
        load_start = os.getloadavg()
        events = [variant(base, f"cost-{args.label}-{i}") for i in range(args.runs)]
        burst = run_burst(deps, events, roots)
        load_end = os.getloadavg()
        profile = _profile(recorders, burst.cpu_by_role, burst.done)
        if args.keep_profiles:
            args.keep_profiles.mkdir(parents=True, exist_ok=True)
            for recorder in recorders.values():
                if recorder.out.exists():
                    shutil.copy(recorder.out, args.keep_profiles / f"{args.label}-{recorder.out.name}")
        disk = _disk_bytes(stack.home) - disk_before
        event_counts = _events(stack.home, events)
    finally:
        stack.stop()
    return {
        "label": args.label,
        "commit": _commit(),
        "launcher": args.launcher,
        "coordinator": args.coordinator,
        "storage": "sqlite",
        "cores": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        **burst.figures(),
        "idle_cpu_s_per_s_by_role": idle,
        "idle_cpu_s_per_s": round(sum(idle.values()), 4),
        "profile_cpu_s_per_run": profile,
        "instance_storage_bytes_per_run": round(disk / max(1, burst.done)),
        **event_counts,
    }


def _start_recorders(roots: dict[str, int], home: Path) -> dict[str, cpu_profile.Recorder]:
    if cpu_profile.py_spy() is None:
        print("py-spy not installed: no per-step profile (pip install -e '.[bench]')", file=sys.stderr)
        return {}
    recorders: dict[str, cpu_profile.Recorder] = {}
    for proc in snapshot(roots).values():
        if proc.role in PROFILED and proc.role not in recorders:
            subprocesses = proc.role in ("forkserver", "code_server")  # run workers are their children
            out = home / f"pyspy-{proc.role}.txt"
            recorders[proc.role] = cpu_profile.Recorder(proc.pid, out, subprocesses=subprocesses).start()
    time.sleep(1)  # py-spy attaches
    return recorders


def _profile(
    recorders: dict[str, cpu_profile.Recorder], cpu: dict[str, float], runs: int
) -> dict[str, dict[str, float]]:
    """CPU seconds per run of each role, split by the py-spy sample shares of its categories."""
    out: dict[str, dict[str, float]] = {}
    for role, recorder in recorders.items():
        for part_role, raw in cpu_profile.split_by_role(recorder.stop(), recorder.pid, role).items():
            if part_role == "forkserver" or not raw:
                continue  # the forkserver itself only forks
            counts = cpu_profile.fold(raw, cpu_profile.CATEGORIES.get(part_role, ()))
            seconds = cpu.get(part_role, 0.0) / max(1, runs)
            out[part_role] = cpu_profile.shares(counts, seconds)
    return out


def _events(home: Path, events: list[IncidentEventV1]) -> dict[str, Any]:
    """Dagster events per run (by type) and their serialized size, over a sample of the burst's runs."""
    wanted = {e.event_id for e in events}
    counts: Counter[str] = Counter()
    size = sampled = 0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.get_run_records(filters=dg.RunsFilter(job_name="incident_job")):
            if record.dagster_run.tags.get("opsrunbook/event_id") not in wanted:
                continue
            for entry in instance.all_logs(record.dagster_run.run_id):
                kind = entry.dagster_event.event_type_value if entry.dagster_event else "log_message"
                counts[kind] += 1
                size += len(dg.serialize_value(entry))
            sampled += 1
            if sampled >= EVENT_SAMPLE:
                break
    n = max(1, sampled)
    return {
        "events_sampled_runs": sampled,
        "events_per_run": round(sum(counts.values()) / n, 1),
        "events_per_run_by_type": {k: round(v / n, 1) for k, v in counts.most_common()},
        "event_bytes_per_run": round(size / n),
    }


if __name__ == "__main__":
    sys.exit(main())
