"""The Dagster UI: an internal HTTPS ALB in front of the webserver, open to one CIDR only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from opsrunbook_cdk.common import skip_checkov

if TYPE_CHECKING:
    from opsrunbook_cdk.compute import ComputeStack

WEBSERVER_PORT = 3000


def internal_ui(stack: ComputeStack, certificate_arn: str) -> elbv2.ApplicationLoadBalancer:
    security_group = ec2.SecurityGroup(
        stack,
        "LoadBalancerSecurityGroup",
        vpc=stack.network.vpc,
        description="Dagster UI (internal)",
        allow_all_outbound=False,
    )
    security_group.add_ingress_rule(
        ec2.Peer.ipv4(stack.network.allowed_cidr),
        ec2.Port.tcp(443),
        "Dagster UI from the allowed range (VPN/office)",
    )
    balancer = elbv2.ApplicationLoadBalancer(
        stack,
        "LoadBalancer",
        vpc=stack.network.vpc,
        internet_facing=False,
        security_group=security_group,
        vpc_subnets=stack.network.subnets,
        drop_invalid_header_fields=True,
        deletion_protection=True,
    )
    skip_checkov(
        balancer,
        (
            "CKV_AWS_91",
            "Access logs need a bucket with an ELB-writable policy per "
            "region; the UI is internal-only and the webserver logs every request.",
        ),
    )
    listener = balancer.add_listener(
        "Https",
        port=443,
        protocol=elbv2.ApplicationProtocol.HTTPS,
        certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)],
        ssl_policy=elbv2.SslPolicy.TLS12_EXT,
        open=False,
    )
    listener.add_targets(
        "Webserver",
        port=WEBSERVER_PORT,
        protocol=elbv2.ApplicationProtocol.HTTP,
        targets=[
            stack.webserver.load_balancer_target(container_name="webserver", container_port=WEBSERVER_PORT)
        ],
        health_check=elbv2.HealthCheck(path="/server_info", healthy_http_codes="200"),
        deregistration_delay=Duration.seconds(15),
    )
    return balancer
