"""Create the project's own AWS resources from the storage stack's template (CloudFormation).

The resources are described once, by the CDK storage stack (``infra/cdk``); its synthesized
template is cached next to this module (``storage_template.json``, kept equal to a fresh synthesis
by a test) and created here with ``CreateStack`` against the sandbox's CloudFormation. One stack
per table prefix and bucket, so test modules get tables of their own on one server.

CloudFormation cannot create SecureString parameters, so the stack creates only the non-secret
String settings; the sandbox then puts its placeholder secrets as SecureString (as an operator does
with ``aws ssm put-parameter``, docs/deploy.md).
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from importlib import resources
from typing import Any

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import DEFAULT_SSM_PREFIX, SSM_PARAMETERS, ResourceNames
from opsrunbook_dagster.stores.queue import PENDING_INDEX

__all__ = ["PENDING_INDEX", "ensure_resources", "stack_name", "stack_parameters", "storage_template"]

TEMPLATE_FILE = "storage_template.json"
#: Where the storage stack's template names its settings (infra/cdk/opsrunbook_cdk/storage.py).
SETTINGS_METADATA = "OpsRunbookSettings"


@cache
def storage_template() -> str:
    """The storage stack's synthesized template (JSON text), as packaged."""
    return resources.files("opsrunbook_dagster.sandbox").joinpath(TEMPLATE_FILE).read_text(encoding="utf-8")


def _settings() -> dict[str, str]:
    """The String settings the stack creates: value parameter → full SSM name (template Metadata)."""
    mapping: dict[str, str] = json.loads(storage_template())["Metadata"][SETTINGS_METADATA]
    return {parameter: f"{DEFAULT_SSM_PREFIX}/{path}" for parameter, path in mapping.items()}


def table_prefix(names: ResourceNames) -> str:
    """The prefix all tables share (the stack names tables ``NamePrefix`` + default name)."""
    defaults = ResourceNames()
    first = names.tables[0]
    prefix = first[: len(first) - len(defaults.tables[0])]
    if names.tables != tuple(prefix + t for t in defaults.tables):
        raise ValueError(
            f"table names must be one prefix + the default names to come from the stack: {names.tables}"
        )
    return prefix


def stack_name(names: ResourceNames) -> str:
    """One stack per (prefix, bucket); bucket names are unique, so they name it."""
    prefix = re.sub(r"[^A-Za-z0-9-]", "-", table_prefix(names))
    bucket = re.sub(r"[^A-Za-z0-9-]", "-", names.evidence_bucket)
    return f"opsrunbook-storage-{prefix}{bucket}"[:128]


def stack_parameters(names: ResourceNames, *, create_settings: bool) -> list[dict[str, str]]:
    """Stack parameters for these names; the String settings take the sandbox's demo values."""
    given = {
        "NamePrefix": table_prefix(names),
        "EvidenceBucketName": names.evidence_bucket,
        "SsmPrefix": DEFAULT_SSM_PREFIX,
        "CreateSettings": "true" if create_settings else "false",
    }
    for parameter, name in _settings().items():
        if name in SSM_PARAMETERS:
            given[parameter] = SSM_PARAMETERS[name]
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(given.items())]


def _stack_status(cloudformation: Any, name: str) -> str | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def _wait_created(cloudformation: Any, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (
        status := _stack_status(cloudformation, name)
    ) == "CREATE_IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.05)
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"storage stack {name} ended in {status}")


def ensure_resources(
    target: AwsTarget, names: ResourceNames, *, seed_ssm: bool = True
) -> dict[str, list[str]]:
    """Create the storage stack for these names unless it exists; returns what now exists."""
    cloudformation = target.client("cloudformation")
    name = stack_name(names)
    ssm = target.client("ssm") if seed_ssm else None
    if _stack_status(cloudformation, name) is None:
        # The String settings belong to the first stack that creates them (one SSM path per sandbox).
        owned = ssm is not None and not ssm.get_parameters(Names=sorted(_settings().values()))["Parameters"]
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=storage_template(),
            Parameters=stack_parameters(names, create_settings=owned),
        )
        _wait_created(cloudformation, name)
    parameters: list[str] = []
    if ssm is not None:
        strings = set(_settings().values())
        for parameter, value in SSM_PARAMETERS.items():
            if parameter not in strings:
                try:
                    ssm.put_parameter(Name=parameter, Value=value, Type="SecureString", Overwrite=False)
                except ssm.exceptions.ParameterAlreadyExists:
                    pass
            parameters.append(parameter)
    return {"buckets": [names.evidence_bucket], "tables": list(names.tables), "ssm_parameters": parameters}
