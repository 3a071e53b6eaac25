"""The real stack for the chaos benchmark: sandbox process, `dagster dev` (webserver + daemon), the
API and the Jira/Teams/GitHub fakes, with the demo's supervisor restarting what dies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import requests

from benchmarks.proc_cpu import snapshot
from benchmarks.proc_rss import cmdline, tree
from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli import fakes_cmd
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import ApiServer, DagsterDev
from opsrunbook_dagster.cli.supervisor import Component, Supervisor
from opsrunbook_dagster.fakes.stack import FakeStack
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.server import free_port
from opsrunbook_dagster.stores.keys import packet_key

API_KEY = "chaos-key"
TERMINAL = {"SUCCEEDED", "FAILED", "REJECTED", "CANCELED"}


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    """The sandbox as its own process, as `opsrunbook sandbox up` runs it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "opsrunbook_dagster.cli.main", "sandbox", "up", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("export AWS_SECRET_ACCESS_KEY"):
            break
    return proc, f"http://127.0.0.1:{port}"


@dataclass
class ChaosStack:
    home: Path
    said: list[str] = field(default_factory=list)
    sandbox: subprocess.Popen[str] | None = None
    endpoint: str = ""
    fakes: FakeStack | None = None
    dagster: DagsterDev | None = None
    api: ApiServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    #: cleared, the supervisor's restart of `dagster dev` waits (a slow replacement, as on ECS)
    restarts_allowed: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ChaosStack:
        self.sandbox, self.endpoint = start_sandbox()
        ensure_resources(AwsTarget(endpoint_url=self.endpoint), ResourceNames())
        self.fakes = fakes_cmd.start_stack()
        env = {**os.environ, **client_env(self.endpoint), **fakes_cmd.live_actions_env(self.fakes)}
        self.dagster = DagsterDev(home=self.home, env=env, port=free_port())
        self.dagster.start()
        self.restarts_allowed.set()
        self.api = ApiServer(
            env={
                **env,
                "OPSRUNBOOK_API_KEYS": API_KEY,
                "DAGSTER_UI_URL": self.dagster.url,
                # an operator's probe threshold: a sensor silent for 15 s means nothing is processing
                "OPSRUNBOOK_ORCHESTRATOR_STALE_SECONDS": "15",
            },
            port=free_port(),
            log_path=self.home / "api.log",
        )
        self.api.start()
        os.environ["DAGSTER_HOME"] = str(self.home)
        supervisor = Supervisor(
            [
                Component("Dagster (webserver + daemon)", self.dagster.probe, restart=self._restart_dagster),
                Component("API", self.api.probe, restart=self.api.start),
            ],
            say=self._say,
            max_restarts=10,
        )
        threading.Thread(target=supervisor.watch, args=(self._stop,), daemon=True).start()
        return self

    def _restart_dagster(self) -> None:
        self.restarts_allowed.wait()
        assert self.dagster is not None
        self.dagster.start()

    def _say(self, message: str) -> None:
        self.said.append(f"{time.strftime('%H:%M:%S')} {message}")
        print(message, file=sys.stderr, flush=True)

    def stop(self) -> None:
        self._stop.set()
        for part in (self.api, self.dagster, self.fakes):
            if part is not None:
                part.stop()
        if self.sandbox is not None:
            self.sandbox.terminate()
            try:
                self.sandbox.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a busy moto server may not stop in time: results first
                self.sandbox.kill()
                self.sandbox.wait()

    @property
    def deps(self) -> PipelineDeps:
        return PipelineDeps(target=AwsTarget(endpoint_url=self.endpoint), names=ResourceNames())

    def post(self, event: IncidentEventV1) -> int:
        assert self.api is not None
        response = requests.post(
            f"{self.api.url}/v1/incidents",
            data=event.model_dump_json(),
            headers={"X-API-Key": API_KEY, "Content-Type": "application/json"},
            timeout=60,
        )
        return response.status_code

    def ready(self) -> bool | None:
        """The API's readiness as an operator's probe sees it (None: the API did not answer)."""
        assert self.api is not None
        try:
            response = requests.get(f"{self.api.url}/health/ready", headers={"X-API-Key": API_KEY}, timeout=5)
            if response.status_code == 404:
                response = requests.get(f"{self.api.url}/health", timeout=5)
            return bool(response.json().get("ready"))
        except (requests.RequestException, ValueError):
            return None

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.get()

    def running_workers(self) -> list[int]:
        """Pids of run workers executing right now (found in the process tree, whichever launcher)."""
        assert self.dagster is not None and self.dagster.process is not None
        procs = snapshot({"dagster_dev": self.dagster.process.pid})
        return [p.pid for p in procs.values() if p.role == "run_worker"]

    def daemon_pid(self) -> int | None:
        assert self.dagster is not None and self.dagster.process is not None
        for pid in tree(self.dagster.process.pid):
            if "dagster._daemon" in cmdline(pid) or "dagster-daemon" in cmdline(pid):
                return pid
        return None

    def outcome(self, events: list[IncidentEventV1], timeout: float) -> dict[str, Any]:
        """Wait until every request is terminal (or the timeout), then count what happened."""
        deps = self.deps
        deadline = time.monotonic() + timeout
        statuses: dict[str, str] = {}
        while time.monotonic() < deadline:
            for event in events:
                if statuses.get(event.event_id) not in TERMINAL:
                    row = deps.requests.get(f"EVENT#{event.event_id}")
                    statuses[event.event_id] = row.status if row else "MISSING"
            if all(s in TERMINAL for s in statuses.values()):
                break
            time.sleep(1)
        packets = sum(deps.objects.exists(packet_key(e.resolved_incident_id, e.run_id)) for e in events)
        reasons = [
            (deps.requests.get(f"EVENT#{e.event_id}") or None)
            for e in events
            if statuses[e.event_id] == "FAILED"
        ]
        with self.instance() as instance:
            duplicates = 0
            for event in events:
                key = partition_key(event.resolved_incident_id, event.run_id)
                runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": key}))
                roots = {r.tags.get("dagster/root_run_id", r.run_id) for r in runs}
                duplicates += max(0, len(roots) - 1)
        return {
            "submitted": len(events),
            "packets": packets,
            "duplicates": duplicates,
            "stuck": sum(s not in TERMINAL for s in statuses.values()),
            "failed_with_reason": sum(1 for r in reasons if r is not None and r.raw.get("reason")),
            "failed_without_reason": sum(1 for r in reasons if r is None or not r.raw.get("reason")),
            "statuses": {s: list(statuses.values()).count(s) for s in sorted(set(statuses.values()))},
        }
