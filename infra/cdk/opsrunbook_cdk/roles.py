"""Least-privilege policy statements for the Dagster services, the run workers and the API."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_iam as iam

from opsrunbook_cdk.settings import StorageNames
from opsrunbook_cdk.storage import COMPUTE_LOG_PREFIX, DYNAMODB_DATA_ACTIONS

#: S3 prefixes the pipeline writes (docs/architecture.md, storage layout) and Dagster's compute logs.
EVIDENCE_PREFIXES = ("evidence/", "packets/", "plans/", "results/", "replays/")
METRICS_NAMESPACE = "OpsRunbook"


@dataclass(frozen=True)
class Scope:
    """The deployment's names as CloudFormation expressions (parameters of the stack)."""

    names: StorageNames
    bucket: str
    ssm_prefix: str

    def bucket_arn(self, suffix: str = "") -> str:
        return Fn.join("", ["arn:", Fn.ref("AWS::Partition"), ":s3:::", self.bucket, suffix])

    def table_arns(self, tables: tuple[str, ...]) -> list[str]:
        arns = [self.names.table_arn(t) for t in tables]
        return arns + [Fn.join("", [a, "/index/*"]) for a in arns]

    def settings_arn(self, relative: str = "*") -> str:
        return Fn.sub(
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${P}/" + relative,
            {"P": self.ssm_prefix},
        )


def tables_read_write(scope: Scope, tables: tuple[str, ...] | None = None) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="Tables",
        actions=DYNAMODB_DATA_ACTIONS,
        resources=scope.table_arns(tables or scope.names.tables),
    )


def tables_read(scope: Scope, tables: tuple[str, ...]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ReadTables",
        actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"],
        resources=scope.table_arns(tables),
    )


def evidence_read_write(scope: Scope) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="EvidenceObjects",
        actions=["s3:GetObject", "s3:PutObject"],
        resources=[scope.bucket_arn("/" + p + "*") for p in EVIDENCE_PREFIXES],
    )


def evidence_read(scope: Scope) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ReadResults",
        actions=["s3:GetObject"],
        resources=[scope.bucket_arn("/" + p + "*") for p in EVIDENCE_PREFIXES],
    )


def bucket_probe(scope: Scope) -> iam.PolicyStatement:
    """HeadBucket (readiness) is authorised as ListBucket; restricted to the project's prefixes."""
    return iam.PolicyStatement(
        sid="BucketProbe",
        actions=["s3:ListBucket"],
        resources=[scope.bucket_arn()],
        conditions={
            "StringLike": {"s3:prefix": ["", *[p + "*" for p in (*EVIDENCE_PREFIXES, COMPUTE_LOG_PREFIX)]]}
        },
    )


def compute_logs(scope: Scope, *, write: bool) -> iam.PolicyStatement:
    actions = ["s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
    return iam.PolicyStatement(
        sid="ComputeLogs" + ("Write" if write else "Read"),
        actions=actions,
        resources=[scope.bucket_arn("/" + COMPUTE_LOG_PREFIX + "*")],
    )


def read_settings(scope: Scope, relatives: tuple[str, ...] = ("*",)) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ReadSettings",
        actions=["ssm:GetParameter", "ssm:GetParameters"],
        resources=[scope.settings_arn(r) for r in relatives],
    )


def publish_metrics() -> iam.PolicyStatement:
    """PutMetricData has no resource type; the namespace condition is its scope."""
    return iam.PolicyStatement(
        sid="PublishMetrics",
        actions=["cloudwatch:PutMetricData"],
        resources=["*"],
        conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
    )


def collectors() -> list[iam.PolicyStatement]:
    """What the evidence collectors call. Logs Insights query results, StopQuery and GetMetricData
    have no resource types (AWS requires ``*``); the rest are scoped to their resource types."""
    logs_groups = Fn.sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")
    return [
        iam.PolicyStatement(
            sid="LogsInsightsStart",
            actions=["logs:StartQuery", "logs:DescribeLogGroups"],
            resources=[logs_groups],
        ),
        iam.PolicyStatement(
            sid="LogsInsightsResults", actions=["logs:GetQueryResults", "logs:StopQuery"], resources=["*"]
        ),
        iam.PolicyStatement(sid="Metrics", actions=["cloudwatch:GetMetricData"], resources=["*"]),
        iam.PolicyStatement(
            sid="StepFunctions",
            actions=["states:DescribeExecution", "states:GetExecutionHistory"],
            resources=[Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:*:*")],
        ),
        iam.PolicyStatement(
            sid="StepFunctionsList",
            actions=["states:ListExecutions"],
            resources=[
                Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*")
            ],
        ),
    ]


def pipeline_worker(scope: Scope) -> list[iam.PolicyStatement]:
    """A process that runs the pipeline's steps (a run worker): collectors, evidence, tables, settings."""
    return [
        *collectors(),
        tables_read_write(scope),
        evidence_read_write(scope),
        bucket_probe(scope),
        compute_logs(scope, write=True),
        read_settings(scope),
    ]
