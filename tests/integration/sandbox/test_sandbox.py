"""The sandbox against a real moto server: bootstrap, seeding, reading back through boto3."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import SSM_PARAMETERS, ResourceNames
from opsrunbook_dagster.sandbox.bootstrap import PENDING_INDEX, ensure_resources
from opsrunbook_dagster.sandbox.scenario import blind_names, bundled_names, load_scenario
from opsrunbook_dagster.sandbox.seed_metrics import metric_points
from opsrunbook_dagster.sandbox.seed_stepfn import SANDBOX_ROLE_ARN as ROLE
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer

pytestmark = pytest.mark.integration


def assert_executes_state_machines(endpoint_url: str) -> None:
    """moto only runs ASL when configured to; otherwise executions stay RUNNING forever."""
    sfn = AwsTarget(endpoint_url=endpoint_url).client("stepfunctions")
    definition = json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
    )
    arn = sfn.create_state_machine(name=f"probe-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while (
        sfn.describe_execution(executionArn=execution)["status"] == "RUNNING" and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"ok": 1}


def test_server_is_real_http_with_stepfunctions_execution_enabled(sandbox: SandboxServer) -> None:
    config = requests.get(f"{sandbox.endpoint_url}/moto-api/config", timeout=5).json()
    assert config["lambda"]["use_docker"] is False
    assert_executes_state_machines(sandbox.endpoint_url)


def test_requests_are_dispatched_without_listing_motos_package_each_time(
    aws: AwsTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's dispatcher tells a service from a host name by listing its own package directory (and
    stat-ing ~180 entries) on every request: a seventh of the sandbox's CPU in an incident run."""
    s3 = aws.client("s3")
    s3.list_buckets()  # a service's first answer loads its model once (botocore lists its data then)
    listings: list[str] = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path=".": listings.append(str(path)) or real_listdir(path))
    for _ in range(3):
        s3.list_buckets()
    assert listings == []


def test_bootstrap_is_idempotent_and_creates_everything(aws: AwsTarget) -> None:
    names = ResourceNames()
    again = ensure_resources(aws, names)
    assert again["tables"] == list(names.tables)
    tables = aws.client("dynamodb").list_tables()["TableNames"]
    assert set(names.tables) <= set(tables)
    described = aws.client("dynamodb").describe_table(TableName=names.incident_requests_table)["Table"]
    assert described["GlobalSecondaryIndexes"][0]["IndexName"] == PENDING_INDEX
    assert names.evidence_bucket in {b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]}
    param = aws.client("ssm").get_parameter(Name="/opsrunbook/api/keys", WithDecryption=True)["Parameter"]
    assert param["Type"] == "SecureString" and param["Value"] == SSM_PARAMETERS["/opsrunbook/api/keys"]


@pytest.mark.parametrize("name", bundled_names() + blind_names())
def test_each_bundled_scenario_seeds_and_reads_back(aws: AwsTarget, name: str) -> None:
    scenario = load_scenario(name)
    now = datetime.now(UTC).replace(microsecond=0)
    report = seed_scenario(aws, scenario, now)
    assert report.request is not None and report.request.service == scenario.service

    logs = aws.client("logs")
    for group, written in report.log_events.items():
        found = 0
        for page in logs.get_paginator("filter_log_events").paginate(
            logGroupName=group,
            startTime=int((now - timedelta(days=14)).timestamp() * 1000),
            endTime=int(now.timestamp() * 1000) + 1,
        ):
            found += len(page["events"])
        assert found >= written > 0

    cloudwatch = aws.client("cloudwatch")
    for index, spec in enumerate(scenario.metrics[:2]):
        expected = metric_points(spec, index, scenario, now)
        result = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": spec.namespace,
                            "MetricName": spec.metric,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in spec.dimensions.items()],
                        },
                        "Period": spec.period_seconds,
                        "Stat": "Maximum",
                    },
                }
            ],
            StartTime=expected[0][0] - timedelta(seconds=1),
            EndTime=now + timedelta(seconds=1),
        )["MetricDataResults"][0]
        assert len(result["Values"]) >= len(expected) > 0

    sfn = aws.client("stepfunctions")
    machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    for machine, statuses in report.executions.items():
        assert "RUNNING" not in statuses
        for status, count in statuses.items():
            listed = sfn.list_executions(stateMachineArn=machines[machine], statusFilter=status)["executions"]
            assert len(listed) >= count
