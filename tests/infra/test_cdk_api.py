"""The API stack: the FastAPI Lambda behind an HTTP API with throttling, access logs and a narrow role."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import assertions
from tests.infra.support import DATA_PLANE_PREFIXES, actions_of, as_list, resources, statements, text

STACK = "OpsRunbookApi"


def test_lambda_runs_the_mangum_handler_with_reserved_concurrency(synthesized: dict[str, Any]) -> None:
    assertions(synthesized, STACK).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "opsrunbook_api.lambda_handler.handler",
            "ReservedConcurrentExecutions": {"Ref": "ReservedConcurrency"},
        },
    )


def test_http_api_default_route_goes_to_the_lambda(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    (route,) = resources(template, "AWS::ApiGatewayV2::Route").values()
    assert route["Properties"]["RouteKey"] == "$default"
    integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
    integration = template["Resources"][integration_id]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    function = next(iter(resources(template, "AWS::Lambda::Function")))
    assert integration["IntegrationUri"] == {"Fn::GetAtt": [function, "Arn"]}


def test_stage_throttles_and_logs_access(templates: dict[str, Any]) -> None:
    (stage,) = resources(templates[STACK], "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ThrottleRate"}
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == {"Ref": "ThrottleBurst"}
    assert "$context.status" in props["AccessLogSettings"]["Format"]
    assert "AccessLogs" in text(props["AccessLogSettings"]["DestinationArn"])


def test_role_limited_to_request_tables_and_result_reads(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    actions = actions_of(template, "ApiFunctionServiceRole")
    assert "s3:PutObject" not in actions and "logs:StartQuery" not in actions
    assert {"dynamodb:PutItem", "dynamodb:GetItem", "s3:GetObject", "ssm:GetParameter"} <= actions
    for logical, statement in statements(template):
        acts = as_list(statement["Action"])
        if any(a.startswith(DATA_PLANE_PREFIXES) for a in acts):
            assert "*" not in as_list(statement["Resource"]), (logical, statement)
        if "dynamodb:PutItem" in acts:
            written = text(statement["Resource"])
            assert "snapshots" not in written and "packets" not in written
    api_alarms = [
        a
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "5xx"
    ]
    assert len(api_alarms) == 1
