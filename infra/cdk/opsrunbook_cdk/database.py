"""RDS PostgreSQL for Dagster's run, event and schedule storage, its password in Secrets Manager, and
the RDS Proxy the services reach it through."""

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


def _closed_group(stack: Stack, network: Network, construct_id: str, description: str) -> ec2.SecurityGroup:
    """A security group with no rule yet, outbound included: callers open what they need."""
    return ec2.SecurityGroup(
        stack, construct_id, vpc=network.vpc, description=description, allow_all_outbound=False
    )


def dagster_database(stack: Stack, network: Network, prefix: str) -> rds.DatabaseInstance:
    security_group = _closed_group(stack, network, "DatabaseSecurityGroup", "Dagster storage")
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


def dagster_proxy(stack: Stack, network: Network, database: rds.DatabaseInstance) -> rds.DatabaseProxy:
    """RDS Proxy in front of the instance: dagster-postgres opens a new connection for every storage
    call (SQLAlchemy NullPool), 220-260 per incident run (benchmarks/pg_pool.py), and a new server
    backend each costs the instance a fork; the proxy keeps a warm pool of backends and hands each new
    client connection one of them (PgBouncer in session mode, measured here: server CPU per run
    1.6-2.0 -> 0.12-0.16 s). Only the proxy may reach the instance; TLS required between clients and
    proxy."""
    security_group = _closed_group(stack, network, "DatabaseProxySecurityGroup", "Dagster storage proxy")
    # the proxy fetches the instance's secret from Secrets Manager (an AWS endpoint, or the VPC's
    # interface endpoint): HTTPS out, besides the database port (added by allow_default_port_from)
    security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "Secrets Manager over HTTPS")
    assert database.secret is not None
    proxy = database.add_proxy(
        "DagsterDatabaseProxy",
        secrets=[database.secret],
        vpc=network.vpc,
        vpc_subnets=network.subnets,
        security_groups=[security_group],
        require_tls=True,
        # a run's storage calls come in bursts; idle client connections are closed after 30 min
        idle_client_timeout=Duration.minutes(30),
        # the webserver, daemon, code server and run workers share the instance's connections
        max_connections_percent=90,
        borrow_timeout=Duration.seconds(30),
        debug_logging=False,
    )
    database.connections.allow_default_port_from(proxy, "RDS Proxy to Dagster storage")
    return proxy
