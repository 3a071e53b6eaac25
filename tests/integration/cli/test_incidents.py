"""``opsrunbook incidents`` and ``opsrunbook show`` against the moto server, on a real inline run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.actions import ActionFlags
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.main import main
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import InlineRun, run_inline
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.stores.keys import results_key
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PREFIX = "cli-show-"


@pytest.fixture(scope="module")
def names(aws: AwsTarget) -> ResourceNames:
    return isolated(aws, PREFIX)


@pytest.fixture(scope="module")
def run(aws: AwsTarget, names: ResourceNames) -> InlineRun:
    deps = PipelineDeps(target=aws, names=names)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=600)
    report = seed_scenario(aws, load_scenario("lambda-timeout"), now)
    assert report.request is not None
    run = run_inline(deps, report.request, ActionFlags())
    incident_id, run_id = run.packet.incident_id, run.packet.run_id
    deps.incidents.set_run_status(incident_id, run_id, "SUCCEEDED", dagster_run_id="d-run-1")
    # a later materialization that created a ticket: appended results, named by ACTIONS#LATEST
    later = [
        {
            **json.loads(run.results[0].model_dump_json()),
            "status": "succeeded",
            "external_ref": {"system": "jira", "key": "OPS-42", "url": "https://jira.example/browse/OPS-42"},
        }
    ]
    stored = deps.objects.put_json(results_key(incident_id, run_id, attempt=2), later)
    deps.incidents.set_actions_latest(incident_id, run_id, {"results_key": stored.key})
    return run


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, aws: AwsTarget) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(aws.endpoint_url))
    monkeypatch.setenv("OPSRUNBOOK_TABLE_PREFIX", PREFIX)
    monkeypatch.setenv("OPSRUNBOOK_EVIDENCE_BUCKET", f"{PREFIX}evidence")
    monkeypatch.setenv("DAGSTER_UI_URL", "http://dagster.example:3000")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_incidents_lists_the_run_as_a_table_and_json(
    run: InlineRun, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = run.packet.incident_id
    code, out, _ = _run(capsys, "incidents")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["CREATED", "INCIDENT", "STATUS", "SEVERITY", "SERVICE", "ENV", "TITLE"]
    assert any(incident_id in line and "SUCCEEDED" in line for line in lines)
    code, out, _ = _run(
        capsys, "incidents", "--status", "SUCCEEDED", "--service", run.packet.service, "--json"
    )
    items = json.loads(out)["items"]
    assert code == 0 and [i["incident_id"] for i in items] == [incident_id]
    code, out, _ = _run(capsys, "incidents", "--status", "FAILED", "--json")
    assert json.loads(out)["items"] == []
    code, out, _ = _run(capsys, "incidents", "--service", "nobody")
    assert out.strip() == "no incidents"
    code, out, _ = _run(capsys, "incidents", "--since", "2999-01-01T00:00:00Z", "--json")
    assert json.loads(out)["items"] == []


@pytest.mark.parametrize(
    "argv", [["--limit", "0"], ["--limit", "201"], ["--since", "yesterday"], ["--since", "2026-11-26T12:00"]]
)
def test_incidents_rejects_bad_options(
    argv: list[str], cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["incidents", *argv])
    assert exit_info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_show_reads_like_a_report(run: InlineRun, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    packet = run.packet
    code, out, _ = _run(capsys, "show", packet.incident_id)
    assert code == 0
    assert out.startswith(f"{packet.incident_id} · run {packet.run_id} · SUCCEEDED")
    for section in ("Top findings", "Hypotheses", "Next actions", "Links"):
        assert f"\n{section}\n" in out, section
    top = packet.findings[0]
    assert f"1. [{top.severity.value} · {top.confidence:.2f}] {top.title}" in out
    assert "   > " in out  # an evidence excerpt under a finding
    first_command = packet.next_actions[0].command.splitlines()[0]
    assert f"$ {first_command}" in out
    assert "- Dagster run: http://dagster.example:3000/runs/d-run-1" in out
    assert "- Jira ticket OPS-42: https://jira.example/browse/OPS-42" in out


def test_show_json_and_an_explicit_run(
    run: InlineRun, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = run.packet
    code, out, _ = _run(capsys, "show", packet.incident_id, "--run", packet.run_id, "--json")
    doc: dict[str, Any] = json.loads(out)
    assert code == 0
    assert doc["packet"]["packet_hashes"] == json.loads(packet.model_dump_json())["packet_hashes"]
    assert doc["results_key"].endswith(f"{packet.run_id}.2.json")
    assert doc["excerpts"][packet.findings[0].id]
    assert {"label": "Dagster run", "url": "http://dagster.example:3000/runs/d-run-1"} in doc["links"]


def test_show_unknown_incident_or_run_exits_2(
    run: InlineRun, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "show", "inc-nope-000")
    assert code == 2 and "inc-nope-000 not found" in err
    code, _, err = _run(capsys, "show", run.packet.incident_id, "--run", "r000000000000")
    assert code == 2 and "run r000000000000" in err
