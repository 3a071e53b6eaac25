"""What metric names mean to the analyzer: which direction is bad, which are throttles, and which
dimension names the resource a metric is about. Pure data and lookups (no I/O)."""

from __future__ import annotations

from contracts.evidence import MetricSpec

#: Metrics where only an increase is bad, and where only a decrease is.
UP_IS_BAD = (
    "Errors",
    "Throttles",
    "Duration",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
    "ExecutionThrottled",
    "ThrottledRequests",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "SystemErrors",
    "UserErrors",
    "5XX",
    "4XX",
    "Latency",
    "IteratorAge",
    "DeadLetterErrors",
    "ConcurrentExecutions",
    "ApproximateAgeOfOldestMessage",
)
DOWN_IS_BAD = ("Invocations", "ExecutionsSucceeded", "HealthyHostCount")
THROTTLE_METRICS = (
    "Throttles",
    "ThrottledRequests",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "ExecutionThrottled",
)
#: Dimensions that name the resource a metric is about, most specific first; others (Operation,
#: Resource, ...) qualify it.
RESOURCE_DIMENSIONS = (
    "FunctionName",
    "StateMachineArn",
    "ActivityArn",
    "InstanceId",
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "TableName",
    "QueueName",
    "TopicName",
    "StreamName",
    "DeliveryStreamName",
    "BucketName",
    "CacheClusterId",
    "ReplicationGroupId",
    "LoadBalancer",
    "LoadBalancerName",
    "TargetGroup",
    "ApiName",
    "ApiId",
    "ClusterName",
    "ServiceName",
    "AutoScalingGroupName",
    "DomainName",
    "EventBusName",
    "RuleName",
)


def direction_of(metric: str) -> int:
    """+1 when only an increase is bad, -1 when only a drop is, 0 when either may be."""
    if any(metric.endswith(name) or metric == name for name in UP_IS_BAD):
        return 1
    if metric in DOWN_IS_BAD:
        return -1
    return 0


def subject_of(spec: MetricSpec) -> str:
    """The resource a metric is about: its resource-naming dimension, else the first by name."""
    if not spec.dimensions:
        return spec.namespace
    named = [spec.dimensions[d] for d in RESOURCE_DIMENSIONS if d in spec.dimensions]
    value = named[0] if named else next(iter(sorted(spec.dimensions.items())))[1]
    return value.rsplit(":", 1)[-1] if value.startswith("arn:") else value
