"""The compute stack's inputs: an existing VPC and its private subnets, as stack parameters."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnParameter, Fn, Stack
from aws_cdk import aws_ec2 as ec2

#: Private subnets expected (one per AZ); the ALB, the services and RDS use all of them.
SUBNET_COUNT = 2


@dataclass(frozen=True)
class Network:
    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    allowed_cidr: str


def existing_network(stack: Stack) -> Network:
    vpc_id = CfnParameter(stack, "VpcId", type="AWS::EC2::VPC::Id", description="The VPC to run in.")
    subnet_ids = CfnParameter(
        stack,
        "PrivateSubnetIds",
        type="List<AWS::EC2::Subnet::Id>",
        description=f"Exactly {SUBNET_COUNT} private subnets (different AZs) with a route to AWS APIs.",
    )
    allowed = CfnParameter(
        stack,
        "AllowedCidr",
        type="String",
        allowed_pattern=r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$",
        description="Who may reach the Dagster UI on the internal ALB (e.g. the VPN range); never 0.0.0.0/0.",
    )
    ids = [Fn.select(i, subnet_ids.value_as_list) for i in range(SUBNET_COUNT)]
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id=vpc_id.value_as_string,
        availability_zones=[Fn.select(i, Fn.get_azs()) for i in range(SUBNET_COUNT)],
        private_subnet_ids=ids,
    )
    subnets = ec2.SubnetSelection(
        subnets=[ec2.Subnet.from_subnet_id(stack, f"Subnet{i}", sid) for i, sid in enumerate(ids)]
    )
    return Network(vpc=vpc, subnets=subnets, allowed_cidr=allowed.value_as_string)
