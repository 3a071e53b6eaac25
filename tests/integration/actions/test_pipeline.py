"""The Dagster assets with live actions: secrets from SSM (moto), endpoints from the environment,
the three fakes on free ports, the repository from a mapping file. Re-materializing
``action_results`` sends nothing twice; no secret reaches metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from contracts.ids import partition_key
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.defs.incidents import evidence_assets, outputs_assets
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.pipeline.actions import ledger
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.stores.keys import results_key
from tests.actions_support import JIRA_EMAIL, JIRA_TOKEN, TEAMS_SIG
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PREFIX = "actpipe-"
SSM_PREFIX = "/opsrunbook-actpipe"
ALL = [
    evidence_assets.incident_evidence,
    outputs_assets.evidence_snapshot,
    outputs_assets.incident_packet,
    outputs_assets.action_plan,
    outputs_assets.action_results,
]
REPO_MAP = """
version: 1
rules:
  - repo: acme/payment-gateway
    team: payments
    match:
      service: payment-gateway
"""


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, PREFIX))


def _seed_secrets(aws: AwsTarget, teams: FakeServer, github: GitHubFake) -> list[str]:
    ssm = aws.client("ssm")
    values = {
        "jira/email": JIRA_EMAIL,
        "jira/api_token": JIRA_TOKEN,
        "teams/webhook_url": f"{teams.url}/workflows/opsrunbook?sig={TEAMS_SIG}",
        "github/app_id": github.app_id,
        "github/private_key_b64": github.private_key_b64,
    }
    for name, value in values.items():
        ssm.put_parameter(Name=f"{SSM_PREFIX}/{name}", Value=value, Type="SecureString", Overwrite=True)
    return [JIRA_TOKEN, TEAMS_SIG, github.private_key_b64[:60]]


def _submit(deps: PipelineDeps, aws: AwsTarget) -> str:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(
        minutes=300
    )  # clear of other tests using these names
    report = seed_scenario(aws, load_scenario("lambda-timeout"), now)
    assert report.request is not None
    outcome = deps.requests.submit(report.request)
    return partition_key(outcome.incident_id, outcome.run_id)


@pytest.fixture
def live(  # type: ignore[no-untyped-def]
    sandbox,
    aws: AwsTarget,
    jira_fake: FakeServer,
    teams_fake: FakeServer,
    github_fake: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[dict[str, object], list[str]]:
    """Live actions against the fakes: the deployment's settings, secrets in SSM, the repo map."""
    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    gh.add_repo("acme/payment-gateway", {"README.md": "payments\n"})
    secrets = _seed_secrets(aws, teams_fake, gh)
    repo_map = tmp_path / "repo-map.yaml"
    repo_map.write_text(REPO_MAP, encoding="utf-8")
    monkeypatch.setenv("OPSRUNBOOK_REPO_MAP", str(repo_map))
    monkeypatch.setenv("DAGSTER_UI_URL", "http://dagster.test")
    resources = {
        "aws": OpsRunbookAws(
            endpoint_url=sandbox.endpoint_url, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence"
        ),
        "actions": ActionSettings(),
    }
    # The deployment's settings (run config may only make a run safer; endpoints never come from it).
    for name, value in {
        "ACTIONS_DRY_RUN": "false",
        "ENABLE_GITHUB_PR_ACTION": "true",
        "JIRA_BASE_URL": jira_fake.url,
        "GITHUB_API_URL": github_fake.url,
        "OPSRUNBOOK_SSM_PREFIX": SSM_PREFIX,
        "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    return resources, secrets


def test_live_actions_through_the_assets_exactly_once(
    aws: AwsTarget,
    deps: PipelineDeps,
    jira_fake: FakeServer,
    teams_fake: FakeServer,
    github_fake: FakeServer,
    live: tuple[dict[str, object], list[str]],
) -> None:
    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    resources, secrets = live
    key = _submit(deps, aws)
    incident_id, run_id = key.split(".")
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("incident_runs", [key])
        result = dg.materialize(
            ALL, partition_key=key, instance=instance, resources=resources, raise_on_error=False
        )
        assert result.success
        again = dg.materialize(
            [outputs_assets.action_results],
            partition_key=key,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        assert again.success
    # results are appended: the first materialization's stay, the second's come after them
    first = {r["action_type"]: r for r in deps.objects.get_json(results_key(incident_id, run_id))}
    assert "PR #1 opened" in first["github_pr"]["reason"]
    results = {
        r["action_type"]: r for r in deps.objects.get_json(results_key(incident_id, run_id, attempt=2))
    }
    assert {t: r["status"] for t, r in results.items()} == {
        "jira_ticket": "succeeded",
        "teams_notification": "succeeded",
        "github_pr": "succeeded",
    }, {t: r["reason"] for t, r in results.items()}
    assert "recorded earlier" in results["github_pr"]["reason"]
    assert len(jira_fake.app.issues) == 1 and len(teams_fake.app.cards) == 1  # type: ignore[attr-defined]
    assert len(gh.repos["acme/payment-gateway"].pulls) == 1
    card = teams_fake.app.cards[0]  # type: ignore[attr-defined]
    assert any(a["url"].startswith("http://dagster.test/runs/") for a in card["actions"])
    latest = ledger(deps).rows(incident_id, "ACTIONS#LATEST")[0]
    assert latest["run_id"] == run_id and latest["results_key"] == results_key(incident_id, run_id, attempt=2)
    metadata = [
        str(m.materialization.metadata) for r in (result, again) for m in r.get_asset_materialization_events()
    ]
    for secret in secrets:
        assert all(secret not in text for text in metadata)
    assert gh.violations == [] and jira_fake.app.violations == [] and teams_fake.app.violations == []


def test_a_vendor_outage_fails_the_step_for_a_retry_and_the_retry_acts_once(
    aws: AwsTarget, deps: PipelineDeps, jira_fake: FakeServer, live: tuple[dict[str, object], list[str]]
) -> None:
    """An action that failed fails action_results (after its results are stored), so the job's step
    retry policy tries again once the outage is over; the ledger makes the retry create one ticket."""
    resources, _ = live
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=360)
    report = seed_scenario(aws, load_scenario("lambda-timeout"), now)
    assert report.request is not None
    outcome = deps.requests.submit(report.request)
    key = partition_key(outcome.incident_id, outcome.run_id)
    jira_fake.app.fault("status", path="/rest/api/3/issue$", method="POST", status=503, times=-1)  # type: ignore[attr-defined]
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("incident_runs", [key])
        down = dg.materialize(
            ALL, partition_key=key, instance=instance, resources=resources, raise_on_error=False
        )
        assert not down.success
        failure = next(e for e in down.all_events if e.event_type_value == "STEP_FAILURE")
        assert failure.step_key == "action_results" and "jira_ticket" in str(failure.event_specific_data)
        stored = deps.objects.get_json(results_key(outcome.incident_id, outcome.run_id))
        assert {r["action_type"]: r["status"] for r in stored}["jira_ticket"] == "failed"
        jira_fake.app.faults.clear()  # type: ignore[attr-defined]
        retry = dg.materialize(
            [outputs_assets.action_results],
            partition_key=key,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        assert retry.success
    assert len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]
