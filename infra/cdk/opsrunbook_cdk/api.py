"""The API stack: the FastAPI app on Lambda (Mangum) behind an API Gateway HTTP API."""

from __future__ import annotations

from aws_cdk import CfnOutput, CfnParameter, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from opsrunbook_cdk import roles
from opsrunbook_cdk.common import (
    bootstrapless,
    evidence_bucket_parameter,
    name_prefix,
    skip_checkov,
    ssm_prefix_parameter,
    text_parameter,
)
from opsrunbook_cdk.settings import StorageNames

HANDLER = "opsrunbook_api.lambda_handler.handler"
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",'
    '"path":"$context.path","status":"$context.status","latencyMs":"$context.responseLatency",'
    '"integrationError":"$context.integrationErrorMessage"}'
)


class ApiStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, synthesizer=bootstrapless(), **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "OpsRunbook API: FastAPI on Lambda behind an HTTP API"
        prefix = name_prefix(self).value_as_string
        scope_ = roles.Scope(
            StorageNames(prefix),
            evidence_bucket_parameter(self).value_as_string,
            ssm_prefix_parameter(self).value_as_string,
        )
        code_bucket = text_parameter(self, "CodeBucket", "Bucket holding the API's zip.")
        code_key = text_parameter(self, "CodeKey", "Key of the API's zip (docs/deploy.md).")
        concurrency = CfnParameter(
            self,
            "ReservedConcurrency",
            type="Number",
            default=20,
            min_value=1,
            description="Lambda reserved concurrency (caps DynamoDB load and cost).",
        )
        rate = CfnParameter(
            self, "ThrottleRate", type="Number", default=50, description="Requests/s, steady."
        )
        burst = CfnParameter(
            self, "ThrottleBurst", type="Number", default=100, description="Requests, burst."
        )

        function_logs = logs.LogGroup(self, "ApiFunctionLogs", retention=logs.RetentionDays.ONE_MONTH)
        skip_checkov(function_logs, ("CKV_AWS_158", "CloudWatch Logs' service key; the API logs no secrets."))
        self.function = lambda_.Function(
            self,
            "ApiFunction",
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.X86_64,
            handler=HANDLER,
            code=lambda_.Code.from_bucket(
                s3.Bucket.from_bucket_name(self, "CodeBucketRef", code_bucket.value_as_string),
                code_key.value_as_string,
            ),
            memory_size=1024,
            timeout=Duration.seconds(29),
            reserved_concurrent_executions=concurrency.value_as_number,
            environment={
                "OPSRUNBOOK_TABLE_PREFIX": prefix,
                "OPSRUNBOOK_EVIDENCE_BUCKET": scope_.bucket,
                "OPSRUNBOOK_SSM_PREFIX": scope_.ssm_prefix,
                "OPSRUNBOOK_API_KEYS_PARAMETER": scope_.ssm_prefix + "/api/keys",
                "GITHUB_WEBHOOK_SECRET_PARAMETER": scope_.ssm_prefix + "/github/webhook_secret",
            },
            log_group=function_logs,
            tracing=lambda_.Tracing.ACTIVE,
        )
        role = self.function.role
        assert role is not None
        names = scope_.names
        role.add_to_principal_policy(roles.tables_read_write(scope_, names.request_tables))
        role.add_to_principal_policy(
            roles.tables_read(scope_, tuple(t for t in names.tables if t not in names.request_tables))
        )
        role.add_to_principal_policy(roles.evidence_read(scope_))
        role.add_to_principal_policy(roles.bucket_probe(scope_))
        role.add_to_principal_policy(roles.read_settings(scope_, ("api/keys", "github/webhook_secret")))
        skip_checkov(
            self.function,
            (
                "CKV_AWS_117",
                "The API only calls AWS APIs (DynamoDB, S3, SSM); outside a VPC it needs no NAT "
                "or endpoints, and it opens no network path into the VPC.",
            ),
            (
                "CKV_AWS_116",
                "Invoked synchronously by API Gateway: a failure is the HTTP response, there is no "
                "event to dead-letter.",
            ),
            (
                "CKV_AWS_173",
                "The environment holds names only (tables, bucket, SSM paths); secrets are read "
                "from SSM SecureString at run time.",
            ),
        )

        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        skip_checkov(
            access_logs, ("CKV_AWS_158", "Access logs hold request metadata only (no bodies, no keys).")
        )
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="OpsRunbook intake and reads (API key checked by the app)",
            default_integration=integrations.HttpLambdaIntegration("Lambda", self.function),
            create_default_stage=False,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=rate.value_as_number, burst_limit=burst.value_as_number
            ),
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        skip_checkov(
            self.http_api,
            (
                "CKV_AWS_309",
                "Authorization is the app's API key (Bearer/X-API-Key) and "
                "GitHub's HMAC signature on webhooks; an IAM or JWT authorizer would lock "
                "out the webhook sender, which cannot sign AWS requests.",
            ),
        )
        CfnOutput(self, "ApiUrl", value=self.http_api.api_endpoint, description="Base URL of the API")
        cloudwatch.Alarm(
            self,
            "Api5xxAlarm",
            metric=cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="5xx",
                dimensions_map={"ApiId": self.http_api.api_id, "Stage": "$default"},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            threshold=5,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="The API answered 5 or more 5xx in 5 minutes.",
        )
