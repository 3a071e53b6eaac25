"""Permissions for the EcsRunLauncher: the daemon launches run tasks, the webserver stops them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnResource, Fn
from aws_cdk import aws_iam as iam

if TYPE_CHECKING:
    from opsrunbook_cdk.compute import ComputeStack


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
