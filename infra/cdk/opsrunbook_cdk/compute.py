"""The compute stack: Dagster on ECS Fargate (webserver behind an internal ALB, daemon, code server
as a gRPC service found through Cloud Map), RDS PostgreSQL behind RDS Proxy, S3 compute logs, alarms.

Checked by assertions and linters only (tests/infra); see docs/deploy.md for the order and inputs.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnResource, Duration, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as cloudmap
from constructs import Construct

from opsrunbook_cdk import roles
from opsrunbook_cdk.alarms import compute_alarms
from opsrunbook_cdk.common import (
    LOG_RETENTION,
    bootstrapless,
    evidence_bucket_parameter,
    name_prefix,
    skip_checkov,
    ssm_prefix_parameter,
    text_parameter,
)
from opsrunbook_cdk.database import DB_NAME, DB_PORT, DB_USER, dagster_database, dagster_proxy
from opsrunbook_cdk.launcher import INSTANCE_HOMES, launch_grants, run_task_definition
from opsrunbook_cdk.network import existing_network
from opsrunbook_cdk.settings import StorageNames
from opsrunbook_cdk.storage import COMPUTE_LOG_PREFIX
from opsrunbook_cdk.ui import WEBSERVER_PORT, internal_ui

CODE_SERVER_PORT = 4000


class ComputeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, synthesizer=bootstrapless(), **kwargs)  # type: ignore[arg-type]
        self.template_options.description = (
            "OpsRunbook compute: Dagster on ECS Fargate, RDS PostgreSQL, alarms"
        )
        prefix = name_prefix(self).value_as_string
        self.scope_ = roles.Scope(
            StorageNames(prefix),
            evidence_bucket_parameter(self).value_as_string,
            ssm_prefix_parameter(self).value_as_string,
        )
        network = existing_network(self)
        repository = text_parameter(
            self,
            "ImageRepository",
            "ECR repository holding the OpsRunbook image (Dockerfile).",
            default="opsrunbook",
        )
        tag = text_parameter(self, "ImageTag", "Image tag to run (immutable, e.g. the git sha).")
        certificate = text_parameter(
            self, "CertificateArn", "ACM certificate for the internal ALB's HTTPS listener."
        )
        launcher = text_parameter(
            self,
            "RunLauncher",
            "DefaultRunLauncher: runs are processes in the code-server task (fast start). "
            "EcsRunLauncher: one Fargate task per run (isolation, ~30-60 s start). docs/deploy.md.",
            default="DefaultRunLauncher",
            allowed_values=sorted(INSTANCE_HOMES),
        )
        self.ecs_launcher = CfnCondition(
            self,
            "UseEcsRunLauncher",
            expression=Fn.condition_equals(launcher.value_as_string, "EcsRunLauncher"),
        )
        self.default_launcher = CfnCondition(
            self,
            "UseDefaultRunLauncher",
            expression=Fn.condition_not(Fn.condition_equals(launcher.value_as_string, "EcsRunLauncher")),
        )
        self.image = ecs.ContainerImage.from_ecr_repository(
            ecr.Repository.from_repository_name(self, "Repository", repository.value_as_string),
            tag.value_as_string,
        )
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.namespace = cloudmap.PrivateDnsNamespace(
            self, "Namespace", vpc=network.vpc, name=Fn.join("", [prefix, "opsrunbook.internal"])
        )
        self.database = dagster_database(self, network, prefix)
        self.proxy = dagster_proxy(self, network, self.database)
        self.network = network

        self.code_server = self._service(
            "CodeServer", "code", self._code_server_command(), cpu=1024, memory=4096, port=CODE_SERVER_PORT
        )
        self.daemon = self._service(
            "Daemon", "daemon", self._client_command("dagster-daemon run"), cpu=512, memory=1024
        )
        self.webserver = self._service(
            "Webserver",
            "webserver",
            self._client_command(f"dagster-webserver -h 0.0.0.0 -p {WEBSERVER_PORT}"),
            cpu=512,
            memory=1024,
            port=WEBSERVER_PORT,
        )
        self._grants()
        self.run_task = run_task_definition(self)
        self._instance_environment()
        launch_grants(self)
        for client in (self.daemon, self.webserver):
            self.code_server.connections.allow_from(
                client, ec2.Port.tcp(CODE_SERVER_PORT), "gRPC to the code location"
            )
        self.load_balancer = internal_ui(self, certificate.value_as_string)
        self.alarm_topic = compute_alarms(self, self.scope_, self.database, self.log_groups)

    # ---- services ---------------------------------------------------------------------------

    def _code_server_command(self) -> list[str]:
        return [
            "dagster",
            "code-server",
            "start",
            "-h",
            "0.0.0.0",
            "-p",
            str(CODE_SERVER_PORT),
            "-m",
            "opsrunbook_dagster.definitions",
            "--location-name",
            "opsrunbook",
        ]

    def _client_command(self, command: str) -> list[str]:
        """Webserver and daemon reach the code location over gRPC at its Cloud Map name."""
        host = Fn.join("", ["code.", self.namespace.namespace_name])
        return [*command.split(), "--grpc-host", host, "--grpc-port", str(CODE_SERVER_PORT)]

    log_groups: dict[str, logs.LogGroup]

    def _service(
        self, name: str, short: str, command: list[str], *, cpu: int, memory: int, port: int | None = None
    ) -> ecs.FargateService:
        if not hasattr(self, "log_groups"):
            self.log_groups = {}
        log_group = logs.LogGroup(self, f"{name}Logs", retention=LOG_RETENTION)
        skip_checkov(
            log_group,
            (
                "CKV_AWS_158",
                "Encrypted by CloudWatch Logs' service key; secrets are "
                "redacted before they reach a log line, so a customer-managed key adds cost only.",
            ),
        )
        self.log_groups[name] = log_group
        task = ecs.FargateTaskDefinition(
            self,
            f"{name}Task",
            cpu=cpu,
            memory_limit_mib=memory,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        container = task.add_container(
            short,
            image=self.image,
            command=command,
            essential=True,
            logging=ecs.LogDrivers.aws_logs(stream_prefix=short, log_group=log_group),
            environment=self.task_environment(),
            secrets=self.task_secrets(),
            readonly_root_filesystem=False,
        )
        self.skip_container_checks(task)
        if port is not None:
            container.add_port_mappings(ecs.PortMapping(container_port=port))
        security_group = ec2.SecurityGroup(
            self,
            f"{name}SecurityGroup",
            vpc=self.network.vpc,
            description=f"Dagster {short}",
            allow_all_outbound=True,
        )
        service = ecs.FargateService(
            self,
            name,
            cluster=self.cluster,
            task_definition=task,
            desired_count=1,
            security_groups=[security_group],
            vpc_subnets=self.network.subnets,
            assign_public_ip=False,
            # one daemon at a time: stop the old task before starting the new one
            min_healthy_percent=0 if short == "daemon" else 100,
            max_healthy_percent=100 if short == "daemon" else 200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            enable_execute_command=False,
            cloud_map_options=ecs.CloudMapOptions(
                name="code",
                cloud_map_namespace=self.namespace,
                dns_record_type=cloudmap.DnsRecordType.A,
                dns_ttl=Duration.seconds(10),
            )
            if short == "code"
            else None,
        )
        self.proxy.connections.allow_from(
            security_group, ec2.Port.tcp(DB_PORT), f"{short} to Dagster storage"
        )
        return service

    def skip_container_checks(self, task: ecs.TaskDefinition) -> None:
        skip_checkov(
            task,
            (
                "CKV_AWS_336",
                "Dagster writes its instance files, run workers' temp files and "
                "the code location's caches under DAGSTER_HOME and /tmp; the image runs as a "
                "non-root user without shell tools, and the task has no host mounts.",
            ),
        )

    def task_environment(self) -> dict[str, str]:
        scope = self.scope_
        return {
            "DAGSTER_PG_HOST": self.proxy.endpoint,  # never the instance itself (dagster_proxy)
            "DAGSTER_PG_PORT": str(DB_PORT),
            "DAGSTER_PG_USER": DB_USER,
            "DAGSTER_PG_DB": DB_NAME,
            "OPSRUNBOOK_COMPUTE_LOG_BUCKET": scope.bucket,
            "OPSRUNBOOK_COMPUTE_LOG_PREFIX": COMPUTE_LOG_PREFIX.rstrip("/"),
            "OPSRUNBOOK_TABLE_PREFIX": scope.names.prefix,
            "OPSRUNBOOK_EVIDENCE_BUCKET": scope.bucket,
            "OPSRUNBOOK_SSM_PREFIX": scope.ssm_prefix,
            "OPSRUNBOOK_METRICS_NAMESPACE": roles.METRICS_NAMESPACE,
            "AWS_REGION": Aws.REGION,
            "AWS_DEFAULT_REGION": Aws.REGION,
        }

    def task_secrets(self) -> dict[str, ecs.Secret]:
        assert self.database.secret is not None
        # resolved by the ECS agent at task start: never in the task definition or the environment listing
        return {"DAGSTER_PG_PASSWORD": ecs.Secret.from_secrets_manager(self.database.secret, "password")}

    def _instance_environment(self) -> None:
        """DAGSTER_HOME picks the instance config matching the launcher; the ECS launcher also gets
        the run-worker task definition."""
        home = Fn.condition_if(
            self.ecs_launcher.logical_id,
            INSTANCE_HOMES["EcsRunLauncher"],
            INSTANCE_HOMES["DefaultRunLauncher"],
        ).to_string()
        run_task = Fn.condition_if(
            self.ecs_launcher.logical_id, self.run_task.task_definition_arn, Aws.NO_VALUE
        ).to_string()
        for service in (self.code_server, self.daemon, self.webserver):
            container = service.task_definition.default_container
            assert container is not None
            container.add_environment("DAGSTER_HOME", home)
            container.add_environment("OPSRUNBOOK_RUN_TASK_DEFINITION", run_task)

    # ---- permissions --------------------------------------------------------------------------

    def _grants(self) -> None:
        scope = self.scope_
        code_role = self.code_server.task_definition.task_role
        # sensors (evaluated by the code server) read and write the tables and publish the metric
        code_role.add_to_principal_policy(roles.tables_read_write(scope))
        code_role.add_to_principal_policy(roles.read_settings(scope))
        code_role.add_to_principal_policy(roles.publish_metrics())
        code_role.add_to_principal_policy(roles.compute_logs(scope, write=True))
        # with the default launcher, runs are processes in the code-server task: it needs what they need
        runs = iam.Policy(
            self,
            "CodeServerRunsPolicy",
            statements=[
                s
                for s in roles.pipeline_worker(scope)
                if s.sid not in ("Tables", "ReadSettings", "ComputeLogsWrite")
            ],
        )
        runs.attach_to_role(code_role)
        runs_resource = runs.node.default_child
        assert isinstance(runs_resource, CfnResource)
        runs_resource.cfn_options.condition = self.default_launcher
        self.webserver.task_definition.task_role.add_to_principal_policy(
            roles.compute_logs(scope, write=False)
        )
