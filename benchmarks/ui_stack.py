"""The demo stack for UI checks: sandbox, `dagster dev` (webserver + daemon) and the API on free
ports; one scenario submitted through the API and followed to its results. Used by the browser
test (tests/browser/) and by ``python -m benchmarks.ui_screenshots``."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from contracts.ids import partition_key
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.progress import RunWatcher
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import ApiServer, DagsterDev
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer, free_port
from opsrunbook_dagster.stores.keys import packet_key

API_KEY = "ui-check-key-0123"
CHROMIUM = os.environ.get("OPSRUNBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class UiStack:
    dagster_url: str
    api_url: str
    incident_id: str
    run_id: str
    packet: IncidentPacketV1

    @property
    def partition(self) -> str:
        return partition_key(self.incident_id, self.run_id)

    @property
    def chart_finding_id(self) -> str:
        return next(f.id for f in self.packet.findings if f.metric is not None)


def browser_missing() -> str | None:
    """Why a real browser cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} absent (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def ui_stack(scenario: str = "nab-metric-anomaly", timeout: float = 240.0) -> Iterator[UiStack]:
    home = Path(tempfile.mkdtemp(prefix="opsrunbook-ui-"))
    try:
        with SandboxServer(port=free_port()) as sandbox:
            target = AwsTarget(endpoint_url=sandbox.endpoint_url)
            ensure_resources(target, ResourceNames())
            env = {**os.environ, **client_env(sandbox.endpoint_url)}
            for name in ("OPSRUNBOOK_TABLE_PREFIX", "OPSRUNBOOK_EVIDENCE_BUCKET", "AUTOMATION_ENABLED"):
                env.pop(name, None)
            dagster = DagsterDev(home=home / "dagster", env=env, port=free_port())
            api = ApiServer(env={**env, "OPSRUNBOOK_API_KEYS": API_KEY}, port=free_port())
            dagster.env.update(DAGSTER_UI_URL=dagster.url, OPSRUNBOOK_API_URL=api.url)
            api.env["DAGSTER_UI_URL"] = dagster.url
            dagster.start()
            try:
                api.start()
                yield _submit(target, api, dagster, scenario, timeout)
            finally:
                api.stop()
                dagster.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _submit(target: AwsTarget, api: ApiServer, dagster: DagsterDev, scenario: str, timeout: float) -> UiStack:
    report = seed_scenario(target, load_scenario(scenario))
    assert report.request is not None
    response = requests.post(
        f"{api.url}/v1/incidents",
        data=report.request.model_dump_json(),
        headers={"X-API-Key": API_KEY, "Content-Type": "application/json"},
        timeout=30,
    )
    response.raise_for_status()
    incident_id, run_id = response.json()["incident_id"], response.json()["run_id"]
    deps = PipelineDeps(target=target, names=ResourceNames())
    watcher = RunWatcher(deps, incident_id, run_id, report.request.event_id)
    if not watcher.follow(lambda name, seconds: None, timeout=timeout):
        raise RuntimeError(f"the pipeline did not finish in {timeout}s; see {dagster.home}/dagster-dev.log")
    packet = deps.objects.get_model(packet_key(incident_id, run_id), IncidentPacketV1)
    return UiStack(dagster.url, api.url, incident_id, run_id, packet)
