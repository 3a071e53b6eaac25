"""What a log line says about the services it called: the AWS service a finding's resource belongs
to, the resources an ARN or an AWS host name in a message names, and the services whose own errors
a message quotes (``TooManyRequestsException`` from Lambda's Invoke, ``ProvisionedThroughputExceeded``
from DynamoDB, a PostgreSQL/JDBC error from a database). Pure lookups, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Log group prefixes and the service whose logs they hold.
_LOG_GROUP_SERVICES = (
    ("API-Gateway-Execution-Logs", "apigateway"),
    ("/aws/apigateway", "apigateway"),
    ("/aws/api-gateway", "apigateway"),
    ("/aws/appsync", "appsync"),
    ("/aws/lambda/", "lambda"),
    ("/aws/ecs/", "ecs"),
    ("/ecs/", "ecs"),
    ("/aws/states/", "states"),
    ("/aws/vendedlogs/states/", "states"),
    ("/aws/rds/", "rds"),
    ("/aws/elasticache/", "elasticache"),
)
#: Metric namespaces and their service.
_NAMESPACE_SERVICES = {
    "AWS/ApiGateway": "apigateway",
    "AWS/ApplicationELB": "elb",
    "AWS/NetworkELB": "elb",
    "AWS/ELB": "elb",
    "AWS/AppSync": "appsync",
    "AWS/Lambda": "lambda",
    "LambdaInsights": "lambda",
    "AWS/States": "states",
    "AWS/ECS": "ecs",
    "ECS/ContainerInsights": "ecs",
    "AWS/EC2": "ec2",
    "AWS/DynamoDB": "dynamodb",
    "AWS/Kinesis": "kinesis",
    "AWS/SQS": "sqs",
    "AWS/SNS": "sns",
    "AWS/S3": "s3",
    "AWS/RDS": "rds",
    "AWS/ElastiCache": "elasticache",
    "AWS/Firehose": "firehose",
    "AWS/Events": "events",
}
#: ARN service prefixes that differ from the names above.
_ARN_SERVICES = {"execute-api": "apigateway", "elasticloadbalancing": "elb"}

ARN_RE = re.compile(r"arn:aws[\w-]*:([a-z0-9-]+):[a-z0-9-]*:\d*:([A-Za-z0-9_./:+=@-]+)")
#: ``<name>.<id>.<region>.rds.amazonaws.com`` (instances, clusters, proxies) and similar AWS hosts.
_HOST_RE = re.compile(
    r"(?<![\w.-])([a-z0-9][a-z0-9-]{2,62})\.(?:[a-z0-9-]+\.){1,3}"
    r"(rds|cache|elb|execute-api|lambda-url|es)\.amazonaws\.com",
    re.IGNORECASE,
)
_HOST_SERVICES = {"rds": "rds", "cache": "elasticache", "elb": "elb", "execute-api": "apigateway"}
#: Words that a resource part of an ARN uses for its kind, not its name.
_ARN_KIND_WORDS = frozenset(
    {
        "function",
        "table",
        "index",
        "stream",
        "stateMachine",
        "execution",
        "db",
        "cluster",
        "proxy",
        "service",
        "task",
        "task-definition",
        "loadbalancer",
        "targetgroup",
        "app",
        "net",
        "activity",
    }
)

#: Errors a caller quotes from a service it calls, most specific first.
_SERVICE_ERRORS = (
    (
        "lambda",
        re.compile(
            r"TooManyRequestsException|ConcurrentInvocationLimitExceeded|CallerRateLimitExceeded|"
            r"when calling the Invoke operation|\bLambda\.\w+|Lambda (?:invocation|execution|function)|"
            r"lambda:InvokeFunction|/functions/[^ ]+/invocations|Unhandled function error",
            re.IGNORECASE,
        ),
    ),
    (
        "dynamodb",
        re.compile(
            r"ProvisionedThroughputExceeded|RequestLimitExceeded|TransactionConflict|DynamoDB|"
            r"global secondary ind|when calling the (?:PutItem|GetItem|UpdateItem|DeleteItem|Query|Scan|"
            r"BatchWriteItem|BatchGetItem|TransactWriteItems|TransactGetItems) operation",
            re.IGNORECASE,
        ),
    ),
    (
        "rds",
        re.compile(
            r"postgres|\bpg[_:]|psycopg|PSQLException|mysql|mariadb|aurora|jdbc:|Hikari|SQLTransient|"
            r"SQLNonTransient|remaining connection slots|too many (?:connections|clients)|RDS Proxy|"
            r"Communications link failure|ER_CON_COUNT_ERROR|SequelizeConnection",
            re.IGNORECASE,
        ),
    ),
    ("states", re.compile(r"\bStates\.\w+|StartExecution|ExecutionLimitExceeded", re.IGNORECASE)),
    ("sqs", re.compile(r"AWS\.SimpleQueueService|\bSQS\b|when calling the SendMessage", re.IGNORECASE)),
    ("kinesis", re.compile(r"\bKinesis\b|when calling the PutRecords? operation", re.IGNORECASE)),
    ("s3", re.compile(r"\bSlowDown\b|NoSuchBucket|\bS3\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Named:
    """A resource a message names: its service (when the form says) and its name."""

    service: str | None
    name: str


def service_of_log_group(log_group: str) -> str | None:
    return next((service for prefix, service in _LOG_GROUP_SERVICES if prefix in log_group), None)


def service_of_namespace(namespace: str) -> str | None:
    return _NAMESPACE_SERVICES.get(namespace)


def arn_name(arn: str) -> Named | None:
    """``arn:aws:lambda:…:function:fraud-score:live`` -> (lambda, fraud-score); tables, indexes,
    state machines, databases and clusters likewise (the first part that is not a kind word)."""
    match = ARN_RE.match(arn)
    if not match:
        return None
    service = _ARN_SERVICES.get(match.group(1), match.group(1))
    parts = [p for p in re.split(r"[:/]", match.group(2)) if p]
    name = next((p for p in parts if p not in _ARN_KIND_WORDS and not p.startswith("$")), None)
    return Named(service, name) if name else None


def named_in(text: str) -> list[Named]:
    """Every resource an ARN or an AWS host name in ``text`` names, in order of appearance."""
    found = [(m.start(), named) for m in ARN_RE.finditer(text) if (named := arn_name(m.group(0)))]
    found += [
        (m.start(), Named(_HOST_SERVICES.get(m.group(2).lower()), m.group(1)))
        for m in _HOST_RE.finditer(text)
    ]
    return [named for _, named in sorted(found, key=lambda f: f[0])]


def services_quoted(text: str) -> list[str]:
    """The services whose own errors ``text`` quotes (a caller's view of its callee)."""
    return [service for service, pattern in _SERVICE_ERRORS if pattern.search(text)]
