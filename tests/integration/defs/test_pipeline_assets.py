"""The partitioned assets and checks, materialized on an ephemeral instance against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pytest

from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.defs.incidents import checks, evidence_assets, outputs_assets
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.stores.keys import evidence_key, packet_key, plan_key, results_key
from tests.conftest import isolated, tamper

pytestmark = pytest.mark.integration
PREFIX = "assets-"
ALL = [
    evidence_assets.incident_evidence,
    outputs_assets.evidence_snapshot,
    outputs_assets.incident_packet,
    outputs_assets.action_plan,
    outputs_assets.action_results,
]
REPLAY = [outputs_assets.incident_packet, outputs_assets.action_plan]


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, PREFIX))


def _resources(sandbox, **flags: bool) -> dict[str, object]:  # type: ignore[no-untyped-def]
    aws = OpsRunbookAws(
        endpoint_url=sandbox.endpoint_url, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence"
    )
    return {"aws": aws, "actions": ActionSettings(**flags)}


def _submit(deps: PipelineDeps, aws: AwsTarget, scenario: str, minutes_ago: int) -> str:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    report = seed_scenario(aws, load_scenario(scenario), now)
    assert report.request is not None
    outcome = deps.requests.submit(report.request)
    return partition_key(outcome.incident_id, outcome.run_id)


def _materialize(
    instance: dg.DagsterInstance, key: str, assets: list, resources: dict
) -> dg.ExecuteInProcessResult:  # type: ignore[type-arg]
    instance.add_dynamic_partitions("incident_runs", [key])
    return dg.materialize(
        assets, partition_key=key, instance=instance, resources=resources, raise_on_error=False
    )


def metadata_by_asset(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return {
        m.asset_key.to_user_string(): m.materialization.metadata
        for m in result.get_asset_materialization_events()
    }


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_full_graph_materializes_grounded_and_replays_byte_identically(
    sandbox, aws: AwsTarget, deps: PipelineDeps
) -> None:  # type: ignore[no-untyped-def]
    key = _submit(deps, aws, "lambda-timeout", minutes_ago=0)
    incident_id, run_id = key.split(".")
    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(instance, key, ALL, _resources(sandbox))
        assert result.success
        assert _checks(result) == {
            "evidence_within_budget": True,
            "snapshot_hashes_match": True,
            "packet_grounded": True,
            "plan_deterministic": True,
        }
        materialized = metadata_by_asset(result)
        assert set(materialized) == {
            "evidence_logs",
            "evidence_metrics",
            "evidence_stepfn",
            "evidence_snapshot",
            "incident_packet",
            "action_plan",
            "action_results",
        }
        assert "Task timed out" in materialized["incident_packet"]["summary"].value
        assert materialized["evidence_metrics"][
            "source_statuses"
        ].value  # p99 rejected → recorded, run still fine

        run_row = deps.incidents.run(incident_id, run_id)  # written by the run itself, with its attempt
        assert run_row is not None and (run_row["status"], run_row["attempt"]) == ("SUCCEEDED", 1)

        packet_before = deps.objects.get_bytes(packet_key(incident_id, run_id))
        plan_before = deps.objects.get_bytes(plan_key(incident_id, run_id))
        packet = IncidentPacketV1.model_validate_json(packet_before)
        assert packet.findings[0].kind.value == "lambda_timeout" and packet.findings[0].evidence_refs
        results = deps.objects.get_json(results_key(incident_id, run_id))
        assert {r["status"] for r in results} == {"dry_run", "skipped"}
        jira = next(r for r in results if r["action_type"] == "jira_ticket")
        assert (
            jira["request"]["path"] == "/rest/api/3/issue"
            and jira["request"]["json"]["fields"]["description"]["type"] == "doc"
        )

        replay = _materialize(instance, key, REPLAY, _resources(sandbox, dry_run=False))
        assert replay.success
        meta = metadata_by_asset(replay)
        assert (
            meta["incident_packet"]["replayed"].value is True
            and meta["incident_packet"]["replay_match"].value is True
        )
        assert meta["action_plan"]["replay_match"].value is True
        assert deps.objects.get_bytes(packet_key(incident_id, run_id)) == packet_before
        assert deps.objects.get_bytes(plan_key(incident_id, run_id)) == plan_before
        rows = deps.incidents.rows(incident_id, "REPLAYCHECK#")
        assert sorted((r["kind"], r["match"]) for r in rows) == [("packet", True), ("plan", True)]


def test_tampered_evidence_fails_the_checks_with_reasons(sandbox, aws: AwsTarget, deps: PipelineDeps) -> None:  # type: ignore[no-untyped-def]
    key = _submit(deps, aws, "lambda-timeout", minutes_ago=90)
    incident_id, run_id = key.split(".")
    with dg.DagsterInstance.ephemeral() as instance:
        assert _materialize(instance, key, ALL, _resources(sandbox)).success
        logs_key = evidence_key(incident_id, run_id, "logs")
        body = deps.objects.get_bytes(logs_key)
        tamper(deps, logs_key, body.replace(b"Task timed out", b"Task timed OUT"))
        # the checks alone, on what is stored (the assets are subsettable: no materialization)
        only_checks = dg.AssetSelection.checks(checks.SNAPSHOT_HASHES.key, checks.PACKET_GROUNDED.key)
        result = dg.materialize(
            ALL,
            instance=instance,
            resources=_resources(sandbox),
            selection=only_checks,
            tags={"dagster/partition": key},
            raise_on_error=False,
        )
        assert result.get_asset_materialization_events() == []
        evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert evaluations["snapshot_hashes_match"].passed is False
        assert "logs.json" in str(evaluations["snapshot_hashes_match"].metadata["problems"].value)
        assert evaluations["packet_grounded"].passed is False
        assert "sha256 mismatch" in str(evaluations["packet_grounded"].metadata["problems"].value)
        # Re-running the packet now fails loudly instead of analysing tampered evidence.
        rerun = _materialize(instance, key, [outputs_assets.incident_packet], _resources(sandbox))
        assert not rerun.success


def test_packet_grounded_blocks_the_plan() -> None:
    spec = checks.PACKET_GROUNDED
    assert spec.blocking is True and spec.asset_key == dg.AssetKey("incident_packet")
    assert list(outputs_assets.incident_packet.check_specs) == [spec]


def test_kill_switch_records_the_plan_and_executes_nothing(
    sandbox, aws: AwsTarget, deps: PipelineDeps
) -> None:  # type: ignore[no-untyped-def]
    key = _submit(deps, aws, "lambda-timeout", minutes_ago=180)
    incident_id, run_id = key.split(".")
    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(
            instance, key, ALL, _resources(sandbox, automation_enabled=False, dry_run=False)
        )
    assert result.success
    statuses = {
        r["action_type"]: r["status"] for r in deps.objects.get_json(results_key(incident_id, run_id))
    }
    assert statuses == {"jira_ticket": "disabled", "teams_notification": "disabled", "github_pr": "skipped"}


def test_a_second_materialization_never_overwrites_stored_evidence(
    sandbox, aws: AwsTarget, deps: PipelineDeps
) -> None:  # type: ignore[no-untyped-def]
    """Re-materializing a partition after the world changed (late log lines in the window) keeps the
    evidence, snapshot and packet that were stored; the refs keep matching and nothing is lost."""
    key = _submit(deps, aws, "lambda-timeout", minutes_ago=240)
    incident_id, run_id = key.split(".")
    logs_key = evidence_key(incident_id, run_id, "logs")
    with dg.DagsterInstance.ephemeral() as instance:
        assert _materialize(instance, key, ALL, _resources(sandbox)).success
        first_logs = deps.objects.get_bytes(logs_key)
        first_packet = deps.objects.get_bytes(packet_key(incident_id, run_id))
        request = deps.incidents.run(incident_id, run_id)
        window = IncidentEventV1.model_validate_json(str(request["request_body"])).time_window  # type: ignore[index]
        group = "/aws/lambda/payment-gateway"
        late = int((window.end.timestamp() - 60) * 1000)
        deps.client("logs").put_log_events(
            logGroupName=group,
            logStreamName=deps.client("logs").describe_log_streams(logGroupName=group)["logStreams"][0][
                "logStreamName"
            ],
            logEvents=[{"timestamp": late, "message": "ERROR late line that arrived after the first run"}],
        )
        again = _materialize(instance, key, ALL, _resources(sandbox))
        assert again.success
        assert all(_checks(again).values()), _checks(again)
    assert deps.objects.get_bytes(logs_key) == first_logs
    assert deps.objects.get_bytes(packet_key(incident_id, run_id)) == first_packet
