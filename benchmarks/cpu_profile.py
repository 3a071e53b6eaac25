"""Where a process's CPU goes: py-spy samples (``record --format raw``) folded into categories.

py-spy (a sampling profiler that reads another process's memory; ``pip install -e '.[bench]'``)
records each role of the stack during a burst; every sampled stack is put in the first category
one of whose needles occurs in one of its frames (function name or file path), so the shares of a
role's samples say how its CPU seconds (measured from /proc) divide.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.proc_cpu import role_of

#: (category, needles) per role, first match wins. Needles are matched against each frame's text
#: ("function (path/file.py)"); the order puts the cheapest-to-cut causes first.
RUN_WORKER = (
    ("code location load (imports)", ("recon_job_from_origin", "load_python_module", "get_definition")),
    ("storage schema checks (alembic)", ("alembic",)),
    ("event writes", ("handle_new_event", "store_event", "report_engine_event", "_log_event")),
    ("imports during the run", ("_find_and_load",)),
    ("check: snapshot_hashes_match", ("snapshot_hashes_match (",)),
    ("check: packet_grounded", ("packet_grounded (",)),
    ("check: plan_deterministic", ("plan_deterministic (",)),
    ("boto3 clients (service models loaded per process)", ("botocore/loaders.py", "create_client (")),
    # the collectors run in a thread pool, whose stacks do not show the asset
    ("step: incident_evidence", ("incident_evidence (", "pipeline/collect.py", "collectors/")),
    ("step: evidence_snapshot", ("evidence_snapshot (",)),
    ("step: incident_packet", ("incident_packet (",)),
    ("step: action_plan", ("action_plan (",)),
    ("step: action_results", ("action_results (",)),
    ("compute log capture", ("compute_log", "capture_logs", "mirror_stream")),
    ("AWS calls, client side (outside the steps' frames)", ("botocore/", "urllib3/", "boto3/")),
    ("execution plan / job snapshot", ("create_execution_plan", "ExecutionPlan", "snap")),
    ("run start (instance, storage)", ("from_ref", "DagsterInstance", "sqlalchemy")),
    ("dagster step framework", ("dagster/_core/execution",)),
)
DAEMON = (
    ("sensor daemon: run creation", ("create_run", "_create_run", "submit_run", "_submit_run_request")),
    ("sensor daemon: launch", ("launch_run",)),
    ("sensor daemon: tick bookkeeping", ("sensor", "tick")),
    ("run monitoring", ("monitor",)),
    ("run retries", ("retry", "retries")),
    ("queued run coordinator", ("queued_run_coordinator", "dequeue")),
    ("other daemons", ("backfill", "schedul", "asset_daemon", "freshness")),
    ("heartbeats / loop", ("heartbeat", "daemon")),
)
CODE_SERVER = (
    ("incident_request_sensor", ("incident_request_sensor (",)),
    ("run-status sensor", ("incident_run_status_sensor (", "run_status_sensor.py", "RunStatusSensor")),
    ("other sensors", ("replay_request_sensor (", "pr_review_sensor (")),
    ("sensor framework (event log reads)", ("sensor",)),
    ("execution plan for new runs", ("ExecutionPlan", "execution_plan")),
    ("start run (stock launcher)", ("StartRun", "start_run")),
    ("gRPC / other", ("grpc",)),
)
WEBSERVER = (
    ("GraphQL", ("graphql", "graphene")),
    ("event-log watchers", ("watch", "watchdog")),
    ("HTTP / asyncio", ("uvicorn", "starlette", "asyncio")),
)
SANDBOX = (
    ("S3", ("moto/s3",)),
    ("DynamoDB", ("moto/dynamodb",)),
    ("CloudWatch Logs", ("moto/logs",)),
    ("CloudWatch metrics", ("moto/cloudwatch",)),
    ("Step Functions", ("moto/stepfunctions",)),
    ("SSM / other services", ("moto/ssm", "moto/sts", "moto/")),
    ("HTTP server", ("werkzeug", "socketserver", "http/server")),
)
CATEGORIES = {
    "run_worker": RUN_WORKER,
    "forkserver": RUN_WORKER,
    "daemon": DAEMON,
    "code_server": CODE_SERVER,
    "webserver": WEBSERVER,
    "sandbox": SANDBOX,
}


def classify(frames: Sequence[str], rules: Sequence[tuple[str, Sequence[str]]]) -> str:
    for category, needles in rules:
        if any(needle in frame for frame in frames for needle in needles):
            return category
    return "other"


def fold(raw: str, rules: Sequence[tuple[str, Sequence[str]]]) -> Counter[str]:
    """Samples per category from py-spy's raw (collapsed) output: ``frame;frame;... count`` lines."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith("process ")]  # not the command lines
        counts[classify(frames, rules)] += int(number)
    return counts


def shares(counts: Counter[str], seconds: float) -> dict[str, float]:
    """A role's CPU seconds divided by its sample counts, largest first."""
    total = sum(counts.values())
    if not total:
        return {}
    return {k: round(seconds * n / total, 3) for k, n in counts.most_common()}


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


@dataclass
class Recorder:
    """py-spy ``record`` attached to one process (and its subprocesses) until ``stop``."""

    pid: int
    out: Path
    subprocesses: bool = False
    rate: int = 50
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> Recorder:
        binary = py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed: pip install -e '.[bench]'")
        self.process = subprocess.Popen(
            [binary, "record", "--pid", str(self.pid), "--nonblocking"]
            + (["--subprocesses"] if self.subprocesses else [])
            + ["--rate", str(self.rate), "--format", "raw", "--nolineno", "--output", str(self.out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def stop(self) -> str:
        if self.process is None:
            return ""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.out.read_text(encoding="utf-8", errors="replace") if self.out.exists() else ""


def split_by_role(raw: str, pid: int, role: str) -> dict[str, str]:
    """A ``--subprocesses`` recording of process ``pid`` (of ``role``) split by the role of the process
    each stack was sampled in (the last of its ``process PID:"cmdline"`` frames, which run from the
    recorded process down to the sampled one): forks of the forkserver keep its command line, and any
    process below the forkserver or spawned to run a run is a run worker."""
    parts: dict[str, list[str]] = {}
    for line in raw.splitlines():
        processes = [f for f in line.split(";") if f.startswith("process ")]
        owner = role
        if processes and not processes[-1].startswith(f"process {pid}:"):
            owner = role_of(processes[-1])
            if owner in ("forkserver", "run_worker") or role == "forkserver":
                owner = "run_worker"
        parts.setdefault(owner, []).append(line)
    return {k: "\n".join(v) for k, v in parts.items()}
