"""GetMetricData / GetMetricStatistics against the sandbox answer extended statistics (no HTTP 500)
through the real boto3 client, and the demo scenario's packet no longer lists a rejected query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.actions import ActionFlags
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from tests.conftest import isolated

pytestmark = pytest.mark.integration
DIMS = [{"Name": "FunctionName", "Value": "stats-probe"}]


def _put(aws: AwsTarget, start: datetime) -> None:
    # two 5-minute periods: 1..100 ms in the first, 101..200 ms in the second
    data = [
        {
            "MetricName": "Duration",
            "Dimensions": DIMS,
            "Timestamp": start + timedelta(seconds=2 * (i % 100) + 300 * (i >= 100)),
            "Value": float(i + 1),
            "Unit": "Milliseconds",
        }
        for i in range(200)
    ]
    cloudwatch = aws.client("cloudwatch")
    for chunk in range(0, len(data), 100):
        cloudwatch.put_metric_data(Namespace="Stats/Probe", MetricData=data[chunk : chunk + 100])


def test_percentiles_and_trimmed_means_per_period(aws: AwsTarget) -> None:
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    _put(aws, start)
    metric = {"Namespace": "Stats/Probe", "MetricName": "Duration", "Dimensions": DIMS}
    result = aws.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {"Id": f"q{i}", "MetricStat": {"Metric": metric, "Period": 300, "Stat": stat}}
            for i, stat in enumerate(("p99", "tm90", "Average", "IQM"))
        ],
        StartTime=start,
        EndTime=start + timedelta(minutes=10),
        ScanBy="TimestampAscending",
    )["MetricDataResults"]
    by_id = {r["Id"]: r["Values"] for r in result}
    assert by_id["q0"] == [99.0, 199.0]
    assert by_id["q1"] == [45.5, 145.5]
    assert by_id["q2"] == [50.5, 150.5]
    assert by_id["q3"] == [50.5, 150.5]
    points = aws.client("cloudwatch").get_metric_statistics(
        Namespace="Stats/Probe",
        MetricName="Duration",
        Dimensions=DIMS,
        StartTime=start,
        EndTime=start + timedelta(minutes=10),
        Period=300,
        Statistics=["Maximum"],
        ExtendedStatistics=["p50"],
    )["Datapoints"]
    assert [(p["Maximum"], p["ExtendedStatistics"]["p50"]) for p in points] == [(100.0, 50.0), (200.0, 150.0)]


def test_the_demo_scenario_has_no_rejected_metric_query(aws: AwsTarget) -> None:
    deps = PipelineDeps(target=aws, names=isolated(aws, "sbxmetrics-"))
    report = seed_scenario(
        aws,
        load_scenario("lambda-timeout"),
        datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=420),
    )
    assert report.request is not None
    packet = run_inline(deps, report.request, ActionFlags()).packet
    limits = [str(limit) for limit in packet.limits]
    assert not [text for text in limits if "MetricQueryRejected" in text or "rejected" in text], limits
