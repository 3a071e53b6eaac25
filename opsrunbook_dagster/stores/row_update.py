"""One conditional ``SET`` update of a DynamoDB row (shared by every store that writes rows)."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.stores.requests_table import to_item


def update_row(
    dynamodb: Any,
    table: str,
    key: dict[str, str],
    values: dict[str, Any],
    condition: str | None = None,
    condition_names: dict[str, str] | None = None,
    condition_values: dict[str, Any] | None = None,
) -> bool:
    """SET every field of ``values``; False (nothing written) when ``condition`` does not hold."""
    kwargs = update_request(key, values, condition, condition_names, condition_values)
    try:
        dynamodb.update_item(TableName=table, **kwargs)
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def update_request(
    key: dict[str, str],
    values: dict[str, Any],
    condition: str | None = None,
    condition_names: dict[str, str] | None = None,
    condition_values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``Update`` of ``update_row`` without ``TableName`` (also a TransactWriteItems entry)."""
    names = {f"#k{i}": k for i, k in enumerate(sorted(values))}
    attrs = {f":v{i}": values[k] for i, k in enumerate(sorted(values))}
    kwargs: dict[str, Any] = {
        "Key": to_item(key),
        "UpdateExpression": "SET " + ", ".join(f"#k{i} = :v{i}" for i in range(len(values))),
        "ExpressionAttributeNames": {**names, **(condition_names or {})},
        "ExpressionAttributeValues": to_item({**attrs, **(condition_values or {})}),
    }
    if condition:
        kwargs["ConditionExpression"] = condition
    return kwargs
