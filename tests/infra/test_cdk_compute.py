"""The compute stack: Dagster services on Fargate, RDS behind RDS Proxy with its password in Secrets Manager,
per-service least privilege, the launcher switch, an internal UI and the alarms."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import assertions
from tests.infra.support import DATA_PLANE_PREFIXES, actions_of, as_list, resources, statements, text

STACK = "OpsRunbookCompute"
INSTANCE_ENV = {
    "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_DB",
    "OPSRUNBOOK_COMPUTE_LOG_BUCKET", "OPSRUNBOOK_COMPUTE_LOG_PREFIX",
}  # fmt: skip


def _containers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for resource in resources(template, "AWS::ECS::TaskDefinition").values():
        for container in resource["Properties"]["ContainerDefinitions"]:
            found[container["Name"]] = container
    return found


def test_three_awsvpc_services_with_network_configuration(templates: dict[str, Any]) -> None:
    services = resources(templates[STACK], "AWS::ECS::Service")
    assert len(services) == 3
    for service in services.values():
        props = service["Properties"]
        assert props["LaunchType"] == "FARGATE"
        vpc = props["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert vpc["AssignPublicIp"] == "DISABLED" and vpc["Subnets"] and vpc["SecurityGroups"]
    daemon = next(s for k, s in services.items() if k.startswith("Daemon"))
    assert daemon["Properties"]["DesiredCount"] == 1
    assert daemon["Properties"]["DeploymentConfiguration"]["MaximumPercent"] == 100
    code = next(s for k, s in services.items() if k.startswith("CodeServer"))
    assert code["Properties"]["ServiceRegistries"], "code server registered in Cloud Map"
    assert resources(templates[STACK], "AWS::ServiceDiscovery::PrivateDnsNamespace")


def test_commands_reach_the_code_server_over_grpc(templates: dict[str, Any]) -> None:
    containers = _containers(templates[STACK])
    assert containers["code"]["Command"][:3] == ["dagster", "code-server", "start"]
    assert (
        "-m" in containers["code"]["Command"]
        and "opsrunbook_dagster.definitions" in containers["code"]["Command"]
    )
    assert containers["daemon"]["Command"][:2] == ["dagster-daemon", "run"]
    assert containers["webserver"]["Command"][:5] == ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000"]
    for name in ("daemon", "webserver"):
        command = containers[name]["Command"]
        assert all("'" not in part for part in command), "no shell quoting: ECS passes the list as argv"
        assert "--grpc-host" in command and command[command.index("--grpc-port") + 1] == "4000"


def test_password_is_an_ecs_secret_never_plain_environment(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    assert len(resources(template, "AWS::SecretsManager::Secret")) == 1
    for name, container in _containers(template).items():
        env = {e["Name"] for e in container["Environment"]}
        assert env >= INSTANCE_ENV, name
        assert "DAGSTER_PG_PASSWORD" not in env
        secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
        assert "password" in text(secrets["DAGSTER_PG_PASSWORD"])


def test_database_encrypted_private_protected(synthesized: dict[str, Any]) -> None:
    assertions(synthesized, STACK).has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "Engine": "postgres",
            "StorageEncrypted": True,
            "PubliclyAccessible": False,
            "DeletionProtection": True,
        },
    )


def test_services_reach_the_database_through_rds_proxy_only(templates: dict[str, Any]) -> None:
    """dagster-postgres opens a connection per storage call (NullPool): the services talk to RDS
    Proxy, which holds warm server backends; nothing but the proxy reaches the instance."""
    template = templates[STACK]
    ((proxy_id, proxy),) = resources(template, "AWS::RDS::DBProxy").items()
    (secret_id,) = resources(template, "AWS::SecretsManager::Secret")
    props = proxy["Properties"]
    assert props["EngineFamily"] == "POSTGRESQL" and props["RequireTLS"] is True
    # the instance's generated secret, through its attachment to the instance (host, port filled in)
    attachments = resources(template, "AWS::SecretsManager::SecretTargetAttachment")
    assert [a["SecretArn"] for a in props["Auth"]] == [{"Ref": a} for a in attachments]
    assert [a["Properties"]["SecretId"] for a in attachments.values()] == [{"Ref": secret_id}]
    targets = resources(template, "AWS::RDS::DBProxyTargetGroup")
    ((database_id, database),) = resources(template, "AWS::RDS::DBInstance").items()
    assert [t["Properties"]["DBInstanceIdentifiers"] for t in targets.values()] == [[{"Ref": database_id}]]
    for name, container in _containers(template).items():
        env = {e["Name"]: e["Value"] for e in container["Environment"]}
        assert env["DAGSTER_PG_HOST"] == {"Fn::GetAtt": [proxy_id, "Endpoint"]}, name
    proxy_groups = [g["Fn::GetAtt"][0] for g in props["VpcSecurityGroupIds"]]
    database_groups = [g["Fn::GetAtt"][0] for g in database["Properties"]["VPCSecurityGroups"]]
    ingress = [r["Properties"] for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()]
    into_database = [r for r in ingress if r["GroupId"]["Fn::GetAtt"][0] in database_groups]
    assert [r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in into_database] == proxy_groups
    egress = [r["Properties"] for r in resources(template, "AWS::EC2::SecurityGroupEgress").values()]
    proxy_to_database = [
        r
        for r in egress
        if r["GroupId"]["Fn::GetAtt"][0] in proxy_groups and "DestinationSecurityGroupId" in r
    ]
    assert [r["DestinationSecurityGroupId"]["Fn::GetAtt"][0] for r in proxy_to_database] == database_groups
    into_proxy = [r for r in ingress if r["GroupId"]["Fn::GetAtt"][0] in proxy_groups]
    assert len(into_proxy) == 3, "webserver, daemon and code server (run tasks share the daemon's group)"


def test_ui_is_internal_and_never_open_to_the_world(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    (balancer,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert balancer["Properties"]["Scheme"] == "internal"
    (listener,) = resources(template, "AWS::ElasticLoadBalancingV2::Listener").values()
    assert listener["Properties"]["Protocol"] == "HTTPS"
    assert "0.0.0.0/0" not in text(
        [
            g["Properties"].get("SecurityGroupIngress", [])
            for g in resources(template, "AWS::EC2::SecurityGroup").values()
        ]
    )
    assert "0.0.0.0/0" not in text(resources(template, "AWS::EC2::SecurityGroupIngress"))


def test_least_privilege_per_service(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    collectors = {
        "logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery", "cloudwatch:GetMetricData",
        "states:DescribeExecution", "states:GetExecutionHistory", "states:ListExecutions",
    }  # fmt: skip
    assert collectors <= actions_of(template, "CodeServerRunsPolicy")
    assert collectors <= actions_of(template, "RunTaskTaskRole")
    webserver = actions_of(template, "WebserverTaskTaskRole")
    assert webserver == {"s3:GetObject"}, "the UI only reads compute logs"
    assert not actions_of(template, "DaemonTaskTaskRole"), "the daemon needs AWS only to launch ECS runs"
    code = actions_of(template, "CodeServerTaskTaskRole")
    assert {"dynamodb:Query", "dynamodb:UpdateItem", "ssm:GetParameter", "cloudwatch:PutMetricData"} <= code
    assert not code & collectors
    for logical, statement in statements(template):
        actions = as_list(statement["Action"])
        if any(a.startswith(DATA_PLANE_PREFIXES) for a in actions):
            assert "*" not in as_list(statement["Resource"]), (logical, statement)
        if "s3:GetObject" in actions:
            assert "compute-logs/" in text(statement["Resource"]) or "evidence/" in text(
                statement["Resource"]
            )


def test_run_launcher_parameter_switches_policies_and_instance(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    assert template["Parameters"]["RunLauncher"]["AllowedValues"] == ["DefaultRunLauncher", "EcsRunLauncher"]
    launch = [(k, s) for k, s in statements(template) if "ecs:RunTask" in as_list(s["Action"])]
    assert launch and all(template["Resources"][k]["Condition"] == "UseEcsRunLauncher" for k, _ in launch)
    passrole = [(k, s) for k, s in statements(template) if "iam:PassRole" in as_list(s["Action"])]
    assert passrole and all(template["Resources"][k]["Condition"] == "UseEcsRunLauncher" for k, _ in passrole)
    assert (
        template["Resources"][next(k for k in template["Resources"] if k.startswith("CodeServerRunsPolicy"))][
            "Condition"
        ]
        == "UseDefaultRunLauncher"
    )
    run_defs = [r for r in resources(template, "AWS::ECS::TaskDefinition").values() if r.get("Condition")]
    assert len(run_defs) == 1 and run_defs[0]["Properties"]["ContainerDefinitions"][0]["Name"] == "run"
    homes = text(_containers(template)["daemon"]["Environment"])
    assert "/opt/dagster/home-ecs" in homes and "OPSRUNBOOK_RUN_TASK_DEFINITION" in homes


def test_alarms(templates: dict[str, Any]) -> None:
    alarms = resources(templates[STACK], "AWS::CloudWatch::Alarm")
    metrics = {(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms.values()}
    assert ("OpsRunbook", "OldestPendingRequestAgeSeconds") in metrics
    assert ("OpsRunbook", "FailedRuns") in metrics
    assert ("AWS/RDS", "FreeStorageSpace") in metrics
    heartbeat = next(a for k, a in alarms.items() if k.startswith("DaemonHeartbeat"))["Properties"]
    assert heartbeat["Statistic"] == "SampleCount" and heartbeat["TreatMissingData"] == "breaching"
    assert all(a["Properties"]["AlarmActions"] for a in alarms.values())
