"""The CloudWatch metrics a resource hint implies: a DynamoDB table's throttling, an RDS instance's
saturation, a queue's backlog, ... named by the resource's ARN.

An incident that names ``arn:aws:dynamodb:...:table/orders`` says where to look; without this the
table's own metrics were never fetched and a throttled table could only be inferred from its callers'
logs. Only metrics whose dimensions follow from the ARN alone are listed (CloudWatch matches
dimensions exactly: DynamoDB's ``ThrottledRequests`` needs an ``Operation`` too, so the per-table
``WriteThrottleEvents``/``ReadThrottleEvents`` stand for it). ARNs of other services, and plain names,
imply nothing: the metric hint (``hints.metrics``) names anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

#: (metric, statistic) per service, in the order they are listed in the evidence
DYNAMODB_TABLE = (
    ("WriteThrottleEvents", "Sum"),
    ("ReadThrottleEvents", "Sum"),
    ("ConsumedWriteCapacityUnits", "Sum"),
    ("ConsumedReadCapacityUnits", "Sum"),
)
RDS_DATABASE = (
    ("CPUUtilization", "Maximum"),
    ("DatabaseConnections", "Maximum"),
    ("FreeableMemory", "Minimum"),
    ("ReadLatency", "Average"),
    ("WriteLatency", "Average"),
)
SQS_QUEUE = (
    ("ApproximateAgeOfOldestMessage", "Maximum"),
    ("ApproximateNumberOfMessagesVisible", "Maximum"),
)
ECS_SERVICE = (("CPUUtilization", "Maximum"), ("MemoryUtilization", "Maximum"))
LOAD_BALANCER = (
    ("HTTPCode_Target_5XX_Count", "Sum"),
    ("HTTPCode_ELB_5XX_Count", "Sum"),
    ("TargetResponseTime", "p99"),
)
HTTP_API = (("5xx", "Sum"), ("Latency", "p99"))
KINESIS_STREAM = (
    ("GetRecords.IteratorAgeMilliseconds", "Maximum"),
    ("WriteProvisionedThroughputExceeded", "Sum"),
)


@dataclass(frozen=True)
class ResourceMetric:
    namespace: str
    metric: str
    dimensions: dict[str, str]
    stat: str


def _each(namespace: str, dims: dict[str, str], metrics: tuple[tuple[str, str], ...]) -> list[ResourceMetric]:
    return [ResourceMetric(namespace, metric, dims, stat) for metric, stat in metrics]


def metrics_for_resource(arn: str) -> list[ResourceMetric]:
    """The metrics ``arn`` implies, [] for an ARN of another kind or anything that is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return []
    service, resource = parts[2], parts[5]
    kind, _, rest = resource.partition("/")
    if service == "dynamodb" and kind == "table" and rest:
        return _each("AWS/DynamoDB", {"TableName": rest.split("/")[0]}, DYNAMODB_TABLE)
    if service == "rds":
        kind, _, name = resource.partition(":")
        if kind == "db" and name:
            return _each("AWS/RDS", {"DBInstanceIdentifier": name}, RDS_DATABASE)
        if kind == "cluster" and name:
            return _each("AWS/RDS", {"DBClusterIdentifier": name}, RDS_DATABASE)
        return []
    if service == "sqs" and resource and "/" not in resource:
        return _each("AWS/SQS", {"QueueName": resource}, SQS_QUEUE)
    if service == "ecs" and kind == "service":
        cluster, _, name = rest.partition("/")
        if cluster and name:
            return _each("AWS/ECS", {"ClusterName": cluster, "ServiceName": name}, ECS_SERVICE)
        return []
    if service == "elasticloadbalancing" and kind == "loadbalancer" and rest.startswith("app/"):
        return _each("AWS/ApplicationELB", {"LoadBalancer": rest}, LOAD_BALANCER)
    if service == "apigateway" and resource.startswith("/apis/"):
        api_id = resource.split("/")[2]
        return _each("AWS/ApiGateway", {"ApiId": api_id}, HTTP_API) if api_id else []
    if service == "kinesis" and kind == "stream" and rest:
        return _each("AWS/Kinesis", {"StreamName": rest}, KINESIS_STREAM)
    return []
