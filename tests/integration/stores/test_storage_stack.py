"""The storage stack created by CloudFormation in moto yields the tables, bucket and settings the
code uses: a request goes in and comes out of the pending index through the real stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import SSM_PARAMETERS, ResourceNames
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources, stack_name, storage_template
from opsrunbook_dagster.stores.heartbeats import HeartbeatStore
from tests.conftest import isolated
from tests.factories import incident_event

pytestmark = pytest.mark.integration


def test_stack_created_by_cloudformation_with_the_template_resources(aws: AwsTarget) -> None:
    names = isolated(aws, "stk-")
    cloudformation = aws.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=stack_name(names))["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=stack_name(names))["StackResourceSummaries"]
    }
    template = json.loads(storage_template())["Resources"]
    tables = {physical[k] for k, v in template.items() if v["Type"] == "AWS::DynamoDB::Table"}
    assert tables == set(names.tables)
    assert names.evidence_bucket in physical.values()
    described = aws.client("dynamodb").describe_table(TableName=names.incident_requests_table)["Table"]
    assert described["GlobalSecondaryIndexes"][0]["IndexName"] == "pending-by-created"
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # an isolated stack (seed_ssm=False) leaves the sandbox's settings to the session's stack
    assert not [k for k, v in template.items() if v["Type"] == "AWS::SSM::Parameter" and k in physical]


def test_settings_strings_from_the_stack_secrets_put_after(aws: AwsTarget) -> None:
    ssm = aws.client("ssm")
    base_url = ssm.get_parameter(Name="/opsrunbook/jira/base_url")["Parameter"]
    assert base_url["Type"] == "String" and base_url["Value"] == SSM_PARAMETERS["/opsrunbook/jira/base_url"]
    project = ssm.get_parameter(Name="/opsrunbook/jira/project_key")["Parameter"]
    assert project["Value"] == "REPLACE_ME"
    token = ssm.get_parameter(Name="/opsrunbook/jira/api_token", WithDecryption=True)["Parameter"]
    assert token["Type"] == "SecureString"
    again = ensure_resources(aws, ResourceNames())
    assert "/opsrunbook/api/keys" in again["ssm_parameters"]


def test_real_stores_round_trip_through_the_stack_resources(aws: AwsTarget) -> None:
    names = isolated(aws, "stk2-")
    deps = PipelineDeps(target=aws, names=names)
    stored = deps.objects.put_json("evidence/inc-1/run-1/logs.json", {"ok": True})
    assert deps.objects.get_json("evidence/inc-1/run-1/logs.json", stored.sha256) == {"ok": True}
    outcome = deps.requests.submit(IncidentEventV1.model_validate(incident_event()))
    assert outcome.created and not outcome.conflict
    (row,) = deps.requests.pending(limit=10)
    assert row.status == "REQUESTED"
    beats = HeartbeatStore(deps.client("dynamodb"), names.incident_requests_table)
    now = datetime.now(UTC).replace(microsecond=0)
    beats.beat("probe", now, pending=0)
    last = beats.last("probe")
    assert last is not None and last.at == now


def test_table_names_must_share_one_prefix() -> None:
    odd = ResourceNames.derive(incidents_table="other")
    with pytest.raises(ValueError, match="one prefix"):
        stack_name(odd)


def test_oldest_pending_metric_lands_in_cloudwatch(aws: AwsTarget) -> None:
    from opsrunbook_dagster.aws.metrics import MetricPublisher, oldest_pending_datum

    now = datetime.now(UTC).replace(microsecond=0)
    publisher = MetricPublisher.from_env(
        {"OPSRUNBOOK_METRICS_NAMESPACE": "OpsRunbook"}, lambda: aws.client("cloudwatch")
    )
    assert publisher is not None and publisher.publish(
        oldest_pending_datum(75.0, now, "stk-incident-requests")
    )
    stats = aws.client("cloudwatch").get_metric_statistics(
        Namespace="OpsRunbook",
        MetricName="OldestPendingRequestAgeSeconds",
        Dimensions=[{"Name": "RequestsTable", "Value": "stk-incident-requests"}],
        StartTime=now.replace(minute=0, second=0),
        EndTime=now.replace(minute=59, second=59),
        Period=3600,
        Statistics=["Maximum"],
    )
    assert [p["Maximum"] for p in stats["Datapoints"]] == [75.0]
