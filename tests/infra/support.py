"""Helpers to read synthesized templates: resources by type, IAM statements, intrinsic-free text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

#: Data-plane actions that must always name their resources (never "*").
DATA_PLANE_PREFIXES = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
    "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:Scan", "dynamodb:BatchWriteItem",
    "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "ssm:GetParameter",
    "ecs:RunTask", "ecs:StopTask", "iam:PassRole", "states:DescribeExecution", "states:GetExecutionHistory",
    "logs:StartQuery",
)  # fmt: skip


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement of every policy (inline, managed, role default policies)."""
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents = [props.get("PolicyDocument")] + [
            p.get("PolicyDocument") for p in props.get("Policies", [])
        ]
        for document in documents:
            if document:
                for statement in document["Statement"]:
                    yield logical, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(template: dict[str, Any], logical_prefix: str) -> set[str]:
    return {
        action
        for logical, statement in statements(template)
        if logical.startswith(logical_prefix)
        for action in as_list(statement["Action"])
    }


def text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
