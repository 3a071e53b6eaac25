"""The sandbox's cached storage template is exactly a fresh synthesis (so it cannot drift)."""

from __future__ import annotations

import json
from typing import Any

from opsrunbook_dagster.sandbox.bootstrap import storage_template


def test_cached_storage_template_equals_fresh_synthesis(templates: dict[str, Any]) -> None:
    cached = json.loads(storage_template())
    fresh = templates["OpsRunbookStorage"]
    assert cached == fresh, (
        "opsrunbook_dagster/sandbox/storage_template.json is stale: run `make storage-template` and commit it"
    )


def test_cached_template_is_bootstrapless_and_creatable_by_moto() -> None:
    cached = json.loads(storage_template())
    assert "Rules" not in cached and "BootstrapVersion" not in cached.get("Parameters", {})
    types = {r["Type"] for r in cached["Resources"].values()}
    assert not any(t.startswith("Custom::") for t in types)
    # moto skips types it does not implement, but a GetAtt on a skipped resource fails the stack
    targets = {cached["Resources"][name]["Type"] for name in _getatt_targets(cached["Resources"])}
    assert targets and targets <= MOTO_GETATT_TYPES


MOTO_GETATT_TYPES = {"AWS::DynamoDB::Table", "AWS::S3::Bucket"}


def _getatt_targets(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["Fn::GetAtt"][0]} if "Fn::GetAtt" in node else set()
        for value in node.values():
            found |= _getatt_targets(value)
        return found
    if isinstance(node, list):
        return set().union(*(_getatt_targets(v) for v in node)) if node else set()
    return set()
