"""The storage (data) stack: evidence bucket, DynamoDB tables, SSM settings and access policies.

It is the one description of the project's own resources: the sandbox creates it in moto from the
cached template (``opsrunbook_dagster/sandbox/storage_template.json``). Names, keys and the sparse
index come from the code that uses them (``opsrunbook_dagster.aws.names``, ``stores.queue``).
"""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from opsrunbook_cdk.common import (
    bootstrapless,
    evidence_bucket_parameter,
    name_prefix,
    skip_checkov,
    ssm_prefix_parameter,
)
from opsrunbook_cdk.settings import STRING_SETTINGS, StorageNames
from opsrunbook_dagster.stores.incident_listing import INCIDENT_LIST_INDEX
from opsrunbook_dagster.stores.queue import PENDING_INDEX

#: Replay diffs are evidence of a mismatch, kept long enough to investigate, then expired.
REPLAY_DIFF_DAYS = 90
#: Overwritten or deleted object versions are kept this long (undo window for evidence).
NONCURRENT_DAYS = 30
PLACEHOLDER = "REPLACE_ME"
#: Template Metadata key: {value parameter: setting path under SsmPrefix}.
SETTINGS_METADATA = "OpsRunbookSettings"
#: Dagster's step stdout/stderr (S3ComputeLogManager) live under this prefix for this long.
COMPUTE_LOG_PREFIX = "compute-logs/"
COMPUTE_LOG_DAYS = 30


class StorageStack(Stack):
    """Bucket, tables, String settings and managed policies; secrets are put by hand (docs/deploy.md)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, synthesizer=bootstrapless(), **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "OpsRunbook storage: evidence bucket, tables, settings, policies"
        prefix = name_prefix(self).value_as_string
        bucket_name = evidence_bucket_parameter(self).value_as_string
        ssm_prefix = ssm_prefix_parameter(self).value_as_string
        with_settings = CfnParameter(
            self,
            "CreateSettings",
            type="String",
            default="true",
            allowed_values=["true", "false"],
            description="Create the String settings under SsmPrefix ('false' when another stack owns them).",
        )
        self.names = StorageNames(prefix)
        self.bucket = self._bucket(bucket_name)
        self.tables = {
            name: self._table(
                name, queued=name in self.names.queued, listed=name == self.names.defaults.incidents_table
            )
            for name in self.names.tables
        }
        condition = CfnCondition(
            self, "CreateSettingsCondition", expression=Fn.condition_equals(with_settings, "true")
        )
        self._settings(ssm_prefix, condition)
        self._policies(prefix, ssm_prefix)
        CfnOutput(self, "EvidenceBucketNameOutput", value=self.bucket.bucket_name)
        for name, table in self.tables.items():
            CfnOutput(self, _logical(name) + "TableName", value=table.table_name)

    def _bucket(self, bucket_name: str) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "EvidenceBucket",
            bucket_name=bucket_name,
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-replay-diffs",
                    prefix="replays/",
                    expiration=Duration.days(REPLAY_DIFF_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-compute-logs",
                    prefix=COMPUTE_LOG_PREFIX,
                    expiration=Duration.days(COMPUTE_LOG_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        skip_checkov(
            bucket,
            (
                "CKV_AWS_18",
                "Access is audited by CloudTrail S3 data events (docs/deploy.md); a log bucket "
                "per environment would need its own logging and retention, for no extra signal.",
            ),
            (
                "CKV_AWS_144",
                "Evidence is regenerable from the sources for a while and is a region-local "
                "record; cross-region replication doubles cost for no recovery objective we have.",
            ),
            (
                "CKV_AWS_145",
                "SSE-S3 (AES-256) by design: a customer-managed KMS key adds per-request KMS "
                "calls on every evidence read and write and a key policy to keep in step; no compliance need.",
            ),
        )
        return bucket

    def _table(self, default_name: str, *, queued: bool, listed: bool = False) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            _logical(default_name) + "Table",
            table_name=self.names.table(default_name),
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if queued:
            # Sparse: only rows carrying ``queue`` (waiting for a sensor) are in the index.
            table.add_global_secondary_index(
                index_name=PENDING_INDEX,
                partition_key=dynamodb.Attribute(name="queue", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="created_at", type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        if listed:
            # Sparse: one entry per incident (its META row), newest first, for GET /v1/incidents.
            keys = INCIDENT_LIST_INDEX["KeySchema"]
            table.add_global_secondary_index(
                index_name=INCIDENT_LIST_INDEX["IndexName"],
                partition_key=dynamodb.Attribute(
                    name=keys[0]["AttributeName"], type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(
                    name=keys[1]["AttributeName"], type=dynamodb.AttributeType.STRING
                ),
                projection_type=dynamodb.ProjectionType.INCLUDE,
                non_key_attributes=list(INCIDENT_LIST_INDEX["Projection"]["NonKeyAttributes"]),
            )
        skip_checkov(
            table,
            (
                "CKV_AWS_119",
                "Encrypted at rest with the AWS managed key (aws/dynamodb); a customer-managed "
                "key costs a key and KMS calls per request, with no compliance need here.",
            ),
        )
        return table

    def _settings(self, ssm_prefix: str, condition: CfnCondition) -> None:
        """Non-secret settings as String parameters (CloudFormation cannot create SecureString).
        The template's Metadata maps each value parameter to its path, for the sandbox."""
        self.template_options.metadata = {
            SETTINGS_METADATA: {logical: relative for relative, logical in STRING_SETTINGS}
        }
        for relative, logical in STRING_SETTINGS:
            value = CfnParameter(
                self,
                logical,
                type="String",
                default=PLACEHOLDER,
                description=f"SSM {{SsmPrefix}}/{relative} ({PLACEHOLDER} = not configured).",
            )
            parameter = ssm.CfnParameter(
                self,
                logical + "Setting",
                name=Fn.join("", [ssm_prefix, "/" + relative]),
                type="String",
                value=value.value_as_string,
                description=f"OpsRunbook setting {relative}",
            )
            parameter.cfn_options.condition = condition

    def _policies(self, prefix: str, ssm_prefix: str) -> None:
        settings_arn = Fn.sub(
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${P}/*", {"P": ssm_prefix}
        )
        self.read_settings = iam.ManagedPolicy(
            self,
            "ReadSettingsPolicy",
            managed_policy_name=Fn.join("", [prefix, "opsrunbook-read-settings"]),
            description="Read OpsRunbook settings and secrets under SsmPrefix",
            statements=[
                iam.PolicyStatement(
                    sid="ReadSettings",
                    actions=["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                    resources=[settings_arn],
                )
            ],
        )
        table_arns = [t.table_arn for t in self.tables.values()]
        self.data_access = iam.ManagedPolicy(
            self,
            "DataAccessPolicy",
            managed_policy_name=Fn.join("", [prefix, "opsrunbook-data-access"]),
            description="Read and write OpsRunbook's tables and evidence bucket (data plane only)",
            statements=[
                iam.PolicyStatement(
                    sid="Tables",
                    actions=DYNAMODB_DATA_ACTIONS,
                    resources=table_arns + [Fn.join("", [arn, "/index/*"]) for arn in table_arns],
                ),
                iam.PolicyStatement(
                    sid="EvidenceObjects",
                    actions=["s3:GetObject", "s3:PutObject"],
                    resources=[self.bucket.arn_for_objects("*")],
                ),
                iam.PolicyStatement(
                    sid="EvidenceListing", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]
                ),
            ],
        )


#: Item-level DynamoDB actions the stores use (transactions are authorised per item action).
DYNAMODB_DATA_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]


def _logical(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
