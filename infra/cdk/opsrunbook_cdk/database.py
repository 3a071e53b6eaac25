"""RDS PostgreSQL for Dagster's run, event and schedule storage; its password in Secrets Manager."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager

from opsrunbook_cdk.common import skip_checkov
from opsrunbook_cdk.network import Network

DB_NAME = "dagster"
DB_USER = "dagster"
DB_PORT = 5432


def dagster_database(stack: Stack, network: Network, prefix: str) -> rds.DatabaseInstance:
    security_group = ec2.SecurityGroup(
        stack,
        "DatabaseSecurityGroup",
        vpc=network.vpc,
        description="Dagster storage",
        allow_all_outbound=False,
    )
    database = rds.DatabaseInstance(
        stack,
        "DagsterDatabase",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_6),
        instance_type=ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.SMALL),
        vpc=network.vpc,
        vpc_subnets=network.subnets,
        security_groups=[security_group],
        database_name=DB_NAME,
        port=DB_PORT,
        # generated password, kept in Secrets Manager; tasks get it as an ECS secret
        credentials=rds.Credentials.from_generated_secret(DB_USER),
        allocated_storage=20,
        max_allocated_storage=100,
        storage_type=rds.StorageType.GP3,
        storage_encrypted=True,
        multi_az=True,
        backup_retention=Duration.days(7),
        deletion_protection=True,
        delete_automated_backups=False,
        auto_minor_version_upgrade=True,
        copy_tags_to_snapshot=True,
        iam_authentication=True,
        enable_performance_insights=True,
        monitoring_interval=Duration.seconds(60),
        cloudwatch_logs_exports=["postgresql", "upgrade"],
        publicly_accessible=False,
        removal_policy=RemovalPolicy.SNAPSHOT,
    )
    secrets = [c for c in database.node.find_all() if isinstance(c, secretsmanager.CfnSecret)]
    assert len(secrets) == 1, "expected the generated credentials secret"
    skip_checkov(
        secrets[0],
        (
            "CKV_AWS_149",
            "Encrypted with the AWS managed key (aws/secretsmanager); only the tasks' "
            "execution roles read it, and a customer-managed key adds cost without narrowing access.",
        ),
    )
    return database
