"""Transactions in the sandbox's DynamoDB roll back the items they touched, not whole tables (moto
deep-copied every named table per transaction: the soak's sandbox grew by gigabytes and each
submission got slower as the request table grew), through the real boto3 client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from opsrunbook_dagster.aws.clients import AwsTarget
from tests.conftest import isolated

pytestmark = pytest.mark.integration
TABLE = "sandbox-tx-incident-requests"  # a pk/sk table of the project's own, on the shared server


@pytest.fixture(scope="module")
def dynamodb(aws: AwsTarget) -> Any:
    isolated(aws, "sandbox-tx-")
    return aws.client("dynamodb")


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "ROW"}}


def _put(pk: str, **attrs: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {**_key(pk), **{k: {"S": v} for k, v in attrs.items()}}}}


def _get(client: Any, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client.get_item(TableName=TABLE, Key=_key(pk), ConsistentRead=True).get(
        "Item"
    )
    return item


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**_key("kept"), "v": {"S": "1"}, "extra": {"S": "x"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("deleted"), "v": {"S": "1"}})
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("kept"),
                        "UpdateExpression": "SET v = :v REMOVE extra",
                        "ExpressionAttributeValues": {":v": {"S": "2"}},
                    }
                },
                _put("created", v="1"),
                {"Delete": {"TableName": TABLE, "Key": _key("deleted")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("missing"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _get(dynamodb, "kept") == {**_key("kept"), "v": {"S": "1"}, "extra": {"S": "x"}}
    assert _get(dynamodb, "created") is None
    assert _get(dynamodb, "deleted") == {**_key("deleted"), "v": {"S": "1"}}


def test_two_operations_on_one_item_are_refused_and_change_nothing(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**_key("once"), "v": {"S": "1"}})
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[_put("new", v="1"), _put("once", v="2"), _put("once", v="3")]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert _get(dynamodb, "once") == {**_key("once"), "v": {"S": "1"}}
    assert _get(dynamodb, "new") is None


def test_a_transaction_copies_no_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list[str] = []

    def counting_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
        copies.append(self.name)
        return self

    monkeypatch.setattr(Table, "__deepcopy__", counting_deepcopy, raising=False)
    for n in range(50):
        dynamodb.put_item(TableName=TABLE, Item={**_key(f"filler-{n}"), "v": {"S": "x" * 500}})
    dynamodb.transact_write_items(TransactItems=[_put("a", v="1"), _put("b", v="1")])
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                _put("c", v="1"),
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("a"),
                        "ConditionExpression": "v = :no",
                        "ExpressionAttributeValues": {":no": {"S": "no"}},
                    }
                },
            ]
        )
    assert copies == []
    assert _get(dynamodb, "a") is not None and _get(dynamodb, "c") is None
