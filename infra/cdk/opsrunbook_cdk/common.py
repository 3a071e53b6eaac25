"""Pieces every stack shares: the name-prefix parameter, checkov skips with reasons, synthesizers."""

from __future__ import annotations

from typing import Any

from aws_cdk import BootstraplessSynthesizer, CfnParameter, CfnResource, Stack
from aws_cdk import aws_logs as logs
from constructs import IConstruct

#: How long the Dagster services' and run tasks' log groups keep their events.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

#: Parameters every stack takes: logical id -> (default, allowed pattern, description).
SHARED_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "NamePrefix": (
        "",
        "^[a-z0-9-]{0,24}$",
        "Prepended to physical names (lower-case letters, digits, '-'), e.g. 'prod-'; empty for none.",
    ),
    "EvidenceBucketName": (
        "opsrunbook-evidence",
        "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        "The evidence bucket (S3 names are global: use e.g. <prefix>opsrunbook-evidence-<account>).",
    ),
    "SsmPrefix": (
        "/opsrunbook",
        "^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
        "SSM path holding the project's settings and secrets ($OPSRUNBOOK_SSM_PREFIX).",
    ),
}


def text_parameter(stack: Stack, logical_id: str, description: str, **options: Any) -> CfnParameter:
    return CfnParameter(stack, logical_id, type="String", description=description, **options)


def _shared(stack: Stack, logical_id: str) -> CfnParameter:
    default, pattern, description = SHARED_PARAMETERS[logical_id]
    return text_parameter(stack, logical_id, description, default=default, allowed_pattern=pattern)


def name_prefix(stack: Stack) -> CfnParameter:
    """``NamePrefix``: prepended to every physical name (tables, policies, services), e.g. ``prod-``."""
    return _shared(stack, "NamePrefix")


def evidence_bucket_parameter(stack: Stack) -> CfnParameter:
    return _shared(stack, "EvidenceBucketName")


def ssm_prefix_parameter(stack: Stack) -> CfnParameter:
    return _shared(stack, "SsmPrefix")


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
