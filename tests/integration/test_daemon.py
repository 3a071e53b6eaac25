"""The real thing: `dagster dev` (webserver + daemon) in a subprocess, request rows → results, then replay;
on SQLite and on Postgres instance storage."""

from __future__ import annotations

import io
import json
import os
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.ids import partition_key
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.cli.dagster_api import DagsterApi
from opsrunbook_dagster.cli.main import main
from opsrunbook_dagster.cli.progress import RunWatcher
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import DagsterDev
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer, free_port
from opsrunbook_dagster.stores.keys import packet_key
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PREFIX = "daemon-"
SCENARIOS = {"lambda-timeout": "lambda_timeout", "stepfn-task-failure": "stepfn_failure"}


def test_daemon_runs_requests_to_results_and_replays(
    sandbox: SandboxServer,
    aws: AwsTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    instance_storage: str,
    storage_config: dict[str, Any] | None,
) -> None:
    prefix = f"{PREFIX}{instance_storage}-"  # tables of their own per storage variant
    names = isolated(aws, prefix)
    deps = PipelineDeps(target=aws, names=names)
    overrides = {
        **client_env(sandbox.endpoint_url),
        "OPSRUNBOOK_TABLE_PREFIX": prefix,
        "OPSRUNBOOK_EVIDENCE_BUCKET": names.evidence_bucket,
    }
    stack = DagsterDev(
        home=tmp_path / "dagster_home",
        env={**os.environ, **overrides},
        port=free_port(),
        storage=storage_config,
    )
    stack.start()
    try:
        submitted = {}
        for scenario in SCENARIOS:
            report = seed_scenario(aws, load_scenario(scenario), datetime.now(UTC).replace(microsecond=0))
            assert report.request is not None
            outcome = deps.requests.submit(report.request)
            submitted[scenario] = (outcome.incident_id, outcome.run_id, report.request.event_id)
        api = DagsterApi(stack.url)
        for scenario, (incident_id, run_id, event_id) in submitted.items():
            assert RunWatcher(deps, incident_id, run_id, event_id).follow(lambda *_: None, timeout=120)
            packet = deps.objects.get_model(packet_key(incident_id, run_id), IncidentPacketV1)
            assert packet.findings[0].kind.value == SCENARIOS[scenario]
            run = api.run_for_key(partition_key(incident_id, run_id))
            assert run is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            statuses = {
                s: (deps.incidents.run(i, r) or {}).get("status") for s, (i, r, _) in submitted.items()
            }
            if set(statuses.values()) == {"SUCCEEDED"}:
                break
            time.sleep(0.5)
        assert set(statuses.values()) == {"SUCCEEDED"}, statuses
        assert deps.requests.pending() == []

        # Two replays side by side, one per incident (one replay per incident is in flight at a
        # time): the API's way (a request row, as POST /replay writes it) and the CLI's, which
        # writes the same row and waits. Both become runs through replay_request_sensor.
        api_incident, cli_incident = submitted["stepfn-task-failure"][0], submitted["lambda-timeout"][0]
        api_replay = deps.replays.request(api_incident, None)
        for key, value in overrides.items():
            monkeypatch.setenv(key, value)
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(["replay", cli_incident, "--timeout", "120"])
        replay = json.loads(out.getvalue())
        assert code == 0, replay
        assert replay["status"] == "MATCH" and replay["match"] is True
        assert {r["kind"] for r in replay["results"]} == {"packet", "plan"}

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = deps.replays.get(api_replay.replay_id)
            if row is not None and row.status not in ("REQUESTED", "SCHEDULED"):
                break
            time.sleep(1)
        assert row is not None and row.status == "MATCH", row
        checks = deps.incidents.rows(api_incident, f"REPLAYCHECK#{api_replay.replay_id}#")
        assert sorted((c["kind"], c["match"]) for c in checks) == [("packet", True), ("plan", True)]
        # a finished replay frees the incident for the next one
        assert deps.replays.request(api_incident, None).status == "REQUESTED"
    finally:
        stack.stop()
    assert stack.process is not None and stack.process.poll() is not None
