"""DynamoDB attribute-value (de)serialization of plain rows."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_ser = TypeSerializer()
_de = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def projection(fields: tuple[str, ...] | None) -> dict[str, Any]:
    """``ProjectionExpression`` arguments for ``fields`` (names aliased: several are reserved words)."""
    if not fields:
        return {}
    names = {f"#p{i}": name for i, name in enumerate(fields)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
