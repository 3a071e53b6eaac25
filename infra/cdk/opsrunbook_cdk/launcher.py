"""What each run launcher needs: the instance home that selects it, and for the EcsRunLauncher the
run task definition (runs as ECS tasks) and the permissions to launch (daemon) and stop (webserver) them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnResource, Fn
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from opsrunbook_cdk import roles
from opsrunbook_cdk.common import LOG_RETENTION, skip_checkov

if TYPE_CHECKING:
    from opsrunbook_cdk.compute import ComputeStack

#: DAGSTER_HOME of each instance config in the image (Dockerfile).
INSTANCE_HOMES = {"DefaultRunLauncher": "/opt/dagster/home", "EcsRunLauncher": "/opt/dagster/home-ecs"}


def run_task_definition(stack: ComputeStack) -> ecs.FargateTaskDefinition:
    """EcsRunLauncher only (every resource under the stack's ``ecs_launcher`` condition): the task
    definition each run is launched as, with its log group, the services' environment and secrets,
    and what a run worker may do."""
    log_group = logs.LogGroup(stack, "RunLogs", retention=LOG_RETENTION)
    skip_checkov(log_group, ("CKV_AWS_158", "As the services' log groups: service key, redacted content."))
    stack.log_groups["Run"] = log_group
    task = ecs.FargateTaskDefinition(stack, "RunTask", cpu=1024, memory_limit_mib=2048)
    task.add_container(
        "run",
        image=stack.image,
        essential=True,
        logging=ecs.LogDrivers.aws_logs(stream_prefix="run", log_group=log_group),
        environment={**stack.task_environment(), "DAGSTER_HOME": INSTANCE_HOMES["EcsRunLauncher"]},
        secrets=stack.task_secrets(),
    )
    stack.skip_container_checks(task)
    for statement in roles.pipeline_worker(stack.scope_):
        task.add_to_task_role_policy(statement)
    task.add_to_task_role_policy(roles.publish_metrics())
    for child in [task, log_group]:
        for resource in child.node.find_all():
            if isinstance(resource, CfnResource):
                resource.cfn_options.condition = stack.ecs_launcher
    return task


def launch_grants(stack: ComputeStack) -> None:
    """EcsRunLauncher only: the daemon launches queued runs as tasks of the run task definition,
    the webserver terminates them; both describe the task definition when the instance loads and
    their own task (cluster, subnets, security groups) to copy its network configuration."""
    run = stack.run_task
    cluster_tasks = Fn.sub(
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${C}/*",
        {"C": stack.cluster.cluster_name},
    )
    describe = iam.PolicyStatement(
        sid="DescribeForLauncher",
        actions=["ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces"],
        resources=["*"],  # neither action supports resource-level permissions
    )
    tasks = iam.PolicyStatement(
        sid="RunTasks", actions=["ecs:DescribeTasks", "ecs:StopTask"], resources=[cluster_tasks]
    )
    launch = [
        iam.PolicyStatement(
            sid="LaunchRuns",
            actions=["ecs:RunTask"],
            resources=[
                Fn.sub(
                    "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/${F}:*",
                    {"F": run.family},
                )
            ],
            conditions={"ArnEquals": {"ecs:cluster": stack.cluster.cluster_arn}},
        ),
        iam.PolicyStatement(
            sid="TagRuns",
            actions=["ecs:TagResource"],
            resources=[cluster_tasks],
            conditions={"StringEquals": {"ecs:CreateAction": "RunTask"}},
        ),
        iam.PolicyStatement(
            sid="PassRunRoles",
            actions=["iam:PassRole"],
            resources=[run.task_role.role_arn, run.obtain_execution_role().role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
    ]
    for name, service, statements in (
        ("Daemon", stack.daemon, [describe, tasks, *launch]),
        ("Webserver", stack.webserver, [describe, tasks]),
    ):
        policy = iam.Policy(stack, f"{name}EcsLauncherPolicy", statements=statements)
        policy.attach_to_role(service.task_definition.task_role)
        resource = policy.node.default_child
        assert isinstance(resource, CfnResource)
        resource.cfn_options.condition = stack.ecs_launcher
