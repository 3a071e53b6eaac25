"""Nothing a run's config says can widen what the service may do: kill switch, dry run and the
outbound endpoints come from the deployment (environment/SSM); endpoints must be https (loopback
http only with the explicit local flag), may be limited to a host allowlist, and an authenticated
call never follows a redirect (fakes + moto + a Dagster ephemeral instance)."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.ids import partition_key
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.clients.config import load_action_config
from opsrunbook_dagster.defs.incidents import outputs_assets
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.jira import JiraFake
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from opsrunbook_dagster.stores.keys import results_key
from tests.actions_support import FAST, JIRA_EMAIL, JIRA_TOKEN, Clock, config, new_incident, packet, store
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PREFIX = "actend-"
LIVE = ActionFlags(dry_run=False)


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, PREFIX))


@pytest.fixture
def hostile() -> Iterator[FakeServer]:
    """A second server that records whatever reaches it (it accepts the same credentials)."""
    with FakeServer(JiraFake(JIRA_EMAIL, JIRA_TOKEN)) as server:
        yield server


def _deployment(monkeypatch: pytest.MonkeyPatch, jira: FakeServer, dry_run: str = "false") -> None:
    for name, value in {
        "JIRA_BASE_URL": jira.url,
        "JIRA_EMAIL": JIRA_EMAIL,
        "JIRA_API_TOKEN": JIRA_TOKEN,
        "ACTIONS_DRY_RUN": dry_run,
        "AUTOMATION_ENABLED": "true",
        "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP": "true",
        "OPSRUNBOOK_SSM_PREFIX": "/opsrunbook-actend-none",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("TEAMS_WEBHOOK_URL", "GITHUB_API_URL", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_B64"):
        monkeypatch.delenv(name, raising=False)


def _launch(
    sandbox, deps: PipelineDeps, tag: str, run_config: dict, resource: str = "actions"
) -> tuple[dg.ExecuteInProcessResult, str, str]:  # type: ignore[no-untyped-def,type-arg]
    """Materialize action_results of a fresh live plan with ``run_config`` for ``resource``."""
    incident = new_incident(tag)
    pkt = packet(incident)
    store(deps, pkt, LIVE)
    key = partition_key(incident, pkt.run_id)
    endpoint = None if sandbox is None else sandbox.endpoint_url
    aws = OpsRunbookAws(endpoint_url=endpoint, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence")
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("incident_runs", [key])
        result = dg.materialize(
            [outputs_assets.action_results],
            partition_key=key,
            instance=instance,
            resources={"aws": aws, "actions": ActionSettings()},
            run_config={"resources": {resource: {"config": run_config}}},
            raise_on_error=False,
        )
    return result, incident, pkt.run_id


def test_run_config_cannot_send_credentials_to_another_endpoint(
    sandbox,  # type: ignore[no-untyped-def]
    deps: PipelineDeps,
    jira_fake: FakeServer,
    hostile: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _deployment(monkeypatch, jira_fake)
    try:
        result, incident, run_id = _launch(
            sandbox, deps, "hostile-url", {"jira_base_url": hostile.url, "github_api_url": hostile.url}
        )
    except dg.DagsterInvalidConfigError as exc:  # the launch is refused: the field does not exist
        assert "jira_base_url" in str(exc)
    else:
        if result.success:  # or the deployment's endpoint was used
            jira = next(
                r
                for r in deps.objects.get_json(results_key(incident, run_id))
                if r["action_type"] == "jira_ticket"
            )
            assert jira["status"] == "succeeded" and len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]
    assert hostile.app.log == []


@pytest.mark.parametrize(
    ("deployment", "run_config", "expected"),
    [
        ({"ACTIONS_DRY_RUN": "true"}, {"dry_run": False}, {"dry_run": True}),
        ({"AUTOMATION_ENABLED": "false"}, {"automation_enabled": True}, {"automation_enabled": False}),
        ({"ENABLE_GITHUB_PR_ACTION": "false"}, {"github_pr_enabled": True}, {"github_pr_enabled": False}),
        (
            {"PR_CONFIDENCE_THRESHOLD": "0.9"},
            {"pr_confidence_threshold": 0.1},
            {"pr_confidence_threshold": 0.9},
        ),
        ({"ACTIONS_DRY_RUN": "false"}, {"dry_run": True}, {"dry_run": True}),
        ({"AUTOMATION_ENABLED": "true"}, {"automation_enabled": False}, {"automation_enabled": False}),
        (
            {"PR_CONFIDENCE_THRESHOLD": "0.7"},
            {"pr_confidence_threshold": 0.95},
            {"pr_confidence_threshold": 0.95},
        ),
    ],
)
def test_run_config_may_only_make_a_run_safer(
    deployment: dict[str, str],
    run_config: dict,
    expected: dict,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    for name, value in deployment.items():
        monkeypatch.setenv(name, value)
    flags = ActionSettings(**run_config).flags()
    assert {k: getattr(flags, k) for k in expected} == expected


def test_run_config_dry_run_false_does_not_make_a_dry_deployment_live(
    sandbox,  # type: ignore[no-untyped-def]
    deps: PipelineDeps,
    jira_fake: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _deployment(monkeypatch, jira_fake, dry_run="true")
    result, incident, run_id = _launch(
        sandbox, deps, "dry-deploy", {"dry_run": False, "automation_enabled": True}
    )
    assert result.success
    statuses = {r["action_type"]: r["status"] for r in deps.objects.get_json(results_key(incident, run_id))}
    assert statuses["jira_ticket"] == "dry_run" and jira_fake.app.log == []


def _jira_result(deps: PipelineDeps, cfg, tag: str):  # type: ignore[no-untyped-def]
    incident = new_incident(tag)
    pkt = packet(incident)
    store(deps, pkt, LIVE)
    runtime = ActionsRuntime(config=cfg, options=RuntimeOptions(policy=FAST, now=Clock()))
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime)
    return next(r for r in results if r.action_type == ActionType.jira_ticket)


def test_plain_http_endpoints_are_refused(deps: PipelineDeps, jira_fake: FakeServer) -> None:
    env = {
        "JIRA_BASE_URL": "http://jira.example.test",
        "JIRA_EMAIL": JIRA_EMAIL,
        "JIRA_API_TOKEN": JIRA_TOKEN,
    }
    jira = _jira_result(deps, load_action_config(env, None), "http-remote")
    assert jira.status == ActionStatus.failed and "https" in jira.reason, jira.reason
    assert jira.error and jira.error.code == "not_configured"
    # Loopback http without the explicit local flag: refused too, nothing reaches the server.
    env["JIRA_BASE_URL"] = jira_fake.url
    jira = _jira_result(deps, load_action_config(env, None), "http-loopback")
    assert jira.status == ActionStatus.failed and "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP" in jira.reason
    assert jira_fake.app.log == []
    # With the flag (the demo and the tests), it is used.
    jira = _jira_result(
        deps, load_action_config({**env, "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP": "true"}, None), "ok"
    )
    assert jira.status == ActionStatus.succeeded, jira.reason


def test_host_allowlist(deps: PipelineDeps, jira_fake: FakeServer) -> None:
    env = {
        "JIRA_BASE_URL": jira_fake.url,
        "JIRA_EMAIL": JIRA_EMAIL,
        "JIRA_API_TOKEN": JIRA_TOKEN,
        "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP": "true",
        "OPSRUNBOOK_ACTION_HOSTS": "acme.atlassian.net, api.github.com",
    }
    jira = _jira_result(deps, load_action_config(env, None), "allowlist")
    assert jira.status == ActionStatus.failed and "OPSRUNBOOK_ACTION_HOSTS" in jira.reason
    assert jira_fake.app.log == []


def test_a_redirect_to_another_host_is_not_followed(
    deps: PipelineDeps, jira_fake: FakeServer, hostile: FakeServer
) -> None:
    jira_fake.app.fault("redirect", status=307, location=f"{hostile.url}/rest/api/3/search/jql", times=-1)
    jira = _jira_result(deps, config(jira=jira_fake.url), "redirect")
    assert jira.status == ActionStatus.failed and jira.error and jira.error.code == "http_307", jira.reason
    assert hostile.app.log == []
    assert all("Authorization" not in r.headers for r in hostile.app.log)


def test_run_config_cannot_point_aws_clients_at_another_endpoint(
    aws: AwsTarget,
    deps: PipelineDeps,
    jira_fake: FakeServer,
    hostile: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hostile AWS endpoint would answer SSM's GetParameters with its own jira/base_url (and
    receive signed requests): an endpoint_url other than the deployment's AWS_ENDPOINT_URL is
    refused unless it is loopback and the local flag is set."""
    _deployment(monkeypatch, jira_fake)
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(aws.endpoint_url))
    monkeypatch.delenv("OPSRUNBOOK_ALLOW_LOOPBACK_HTTP")
    result, _, _ = _launch(None, deps, "hostile-aws", {"endpoint_url": hostile.url}, resource="aws")
    assert not result.success
    assert hostile.app.log == []
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and "AWS_ENDPOINT_URL" in failure.to_string()
