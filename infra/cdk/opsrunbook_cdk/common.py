"""Pieces every stack shares: the name-prefix parameter, checkov skips with reasons, synthesizers."""

from __future__ import annotations

from aws_cdk import BootstraplessSynthesizer, CfnParameter, CfnResource, Stack
from constructs import IConstruct

#: Region-agnostic ARN prefix for resources of this stack's account and region.
ARN = "arn:${AWS::Partition}:{service}:${AWS::Region}:${AWS::AccountId}:"


def name_prefix(stack: Stack) -> CfnParameter:
    """``NamePrefix``: prepended to every physical name (tables, policies, services), e.g. ``prod-``."""
    return CfnParameter(
        stack,
        "NamePrefix",
        type="String",
        default="",
        allowed_pattern="^[a-z0-9-]{0,24}$",
        description="Prepended to physical names (lower-case letters, digits, '-'), e.g. 'prod-'; empty for none.",
    )


def evidence_bucket_parameter(stack: Stack) -> CfnParameter:
    return CfnParameter(
        stack,
        "EvidenceBucketName",
        type="String",
        default="opsrunbook-evidence",
        allowed_pattern="^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="The evidence bucket (S3 names are global: use e.g. <prefix>opsrunbook-evidence-<account>).",
    )


def ssm_prefix_parameter(stack: Stack) -> CfnParameter:
    return CfnParameter(
        stack,
        "SsmPrefix",
        type="String",
        default="/opsrunbook",
        allowed_pattern="^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
        description="SSM path holding the project's settings and secrets ($OPSRUNBOOK_SSM_PREFIX).",
    )


def skip_checkov(construct: IConstruct, *skips: tuple[str, str]) -> None:
    """Record why a checkov check does not apply, on the resource itself (checkov reads
    ``Metadata.checkov.skip``), so every skip is justified in the code that causes it."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    assert isinstance(resource, CfnResource), f"no CloudFormation resource under {construct.node.path}"
    existing = resource.get_metadata("checkov") or {"skip": []}
    existing["skip"].extend({"id": check, "comment": reason} for check, reason in skips)
    resource.add_metadata("checkov", existing)


def bootstrapless() -> BootstraplessSynthesizer:
    """No bootstrap stack, no ``BootstrapVersion`` rule and no asset buckets: the stacks reference no
    local assets (code and images come in as parameters), and moto's CloudFormation can create them."""
    return BootstraplessSynthesizer()
