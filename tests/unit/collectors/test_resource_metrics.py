"""Resource hints (ARNs) imply the resource's own CloudWatch metrics, with the dimensions CloudWatch
publishes them under; anything else implies nothing."""

from __future__ import annotations

import pytest

from opsrunbook_dagster.collectors.metric_specs import derive_specs
from opsrunbook_dagster.collectors.resource_metrics import metrics_for_resource


@pytest.mark.parametrize(
    ("arn", "namespace", "dimensions", "metric"),
    [
        (
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
            "AWS/DynamoDB",
            {"TableName": "orders"},
            "WriteThrottleEvents",
        ),
        (
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-date",
            "AWS/DynamoDB",
            {"TableName": "orders"},
            "ReadThrottleEvents",
        ),
        (
            "arn:aws:rds:eu-west-1:123456789012:db:billing-prod",
            "AWS/RDS",
            {"DBInstanceIdentifier": "billing-prod"},
            "DatabaseConnections",
        ),
        (
            "arn:aws:rds:eu-west-1:123456789012:cluster:inventory",
            "AWS/RDS",
            {"DBClusterIdentifier": "inventory"},
            "CPUUtilization",
        ),
        (
            "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
            "AWS/SQS",
            {"QueueName": "orders-dlq"},
            "ApproximateAgeOfOldestMessage",
        ),
        (
            "arn:aws:ecs:us-east-1:123456789012:service/prod/checkout",
            "AWS/ECS",
            {"ClusterName": "prod", "ServiceName": "checkout"},
            "MemoryUtilization",
        ),
        (
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
            "AWS/ApplicationELB",
            {"LoadBalancer": "app/web/50dc6c495c0c9188"},
            "HTTPCode_Target_5XX_Count",
        ),
        ("arn:aws:apigateway:us-east-1::/apis/a1b2c3", "AWS/ApiGateway", {"ApiId": "a1b2c3"}, "5xx"),
        (
            "arn:aws:kinesis:us-east-1:123456789012:stream/readings",
            "AWS/Kinesis",
            {"StreamName": "readings"},
            "GetRecords.IteratorAgeMilliseconds",
        ),
    ],
)
def test_an_arn_implies_its_resources_metrics(
    arn: str, namespace: str, dimensions: dict, metric: str
) -> None:
    found = metrics_for_resource(arn)
    assert found and all(m.namespace == namespace and m.dimensions == dimensions for m in found)
    assert metric in {m.metric for m in found}


@pytest.mark.parametrize(
    "ref",
    [
        "orders",  # a plain name: which service?
        "arn:aws:s3:::evidence-bucket",
        "arn:aws:dynamodb:us-east-1:123456789012:table/",
        "arn:aws:rds:eu-west-1:123456789012:snapshot:nightly",
        "arn:aws:ecs:us-east-1:123456789012:service/only-a-cluster",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/1",
        "arn:aws:dynamodb:us-east-1",
    ],
)
def test_anything_else_implies_nothing(ref: str) -> None:
    assert metrics_for_resource(ref) == []


def test_resource_specs_come_after_the_others_and_are_not_repeated() -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    explicit = [("AWS/DynamoDB", "WriteThrottleEvents", {"TableName": "orders"}, "Sum")]
    without = derive_specs(["orders-api"], [], explicit, 60)
    with_table = derive_specs(["orders-api"], [], explicit, 60, [table, table])
    assert with_table[: len(without)] == without  # ids are positional: existing specs keep theirs
    added = with_table[len(without) :]
    assert [(s.metric, s.stat) for s in added] == [
        ("ReadThrottleEvents", "Sum"),
        ("ConsumedWriteCapacityUnits", "Sum"),
        ("ConsumedReadCapacityUnits", "Sum"),
    ]
    assert all(s.dimensions == {"TableName": "orders"} for s in added)
