"""moto's DynamoDB made fit for a long-running sandbox: requests serialized, transactions that roll
back the items they touched instead of copying whole tables.

moto's ``TransactWriteItems`` deep-copies every table a transaction names before it writes, so that
it can restore the copy if the transaction is cancelled. On a table of a few thousand rows that is
~0.1 s of CPU per transaction and hundreds of MB of short-lived objects that the process does not
give back (measured: 300 transactions on a 3,000-row table took the server from 109 to 1,272 MB).
Every submitted incident is one transaction, so a sandbox under steady traffic grew without bound
and slowed down as its tables grew. Real DynamoDB has neither cost.

With requests serialized (one DynamoDB request at a time, see ``serialize``), a rollback only has to
put back the items the transaction touched: each one is copied before the transaction runs and
restored (or deleted, if it did not exist) when the transaction is cancelled.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()
_INSTALLED = "_opsrunbook_installed"

#: (table name, key in DynamoDB JSON, the item before the transaction or None)
Snapshot = tuple[str, dict[str, Any], Any]


def install() -> None:
    """Patch moto's DynamoDB in this process (idempotent)."""
    serialize()
    _roll_back_items_not_tables()


def serialize() -> None:
    """Make moto's DynamoDB safe under concurrent requests: one request at a time.

    moto's transactions read, check and write without a lock; two at once corrupt each other's
    rollback (HTTP 500) or undo the other's write. Real DynamoDB has no such problem.
    """
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, _INSTALLED, False):
        return
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _LOCK:
            return original(self)

    setattr(call_action, _INSTALLED, True)
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


class _CopyExceptTables:
    """``copy`` for moto's DynamoDB models module: a table "copied" for rollback is the table itself."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, obj: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(obj, self._table_type):
            return obj
        return copy.deepcopy(obj, memo)

    def copy(self, obj: Any) -> Any:
        return copy.copy(obj)


def _roll_back_items_not_tables() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, _INSTALLED, False):
        return
    original: Callable[..., None] = DynamoDBBackend.transact_write_items
    # moto's own rollback now "restores" the live table object, i.e. does nothing; ours restores items
    models.copy = _CopyExceptTables(Table)  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = _snapshot(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, before)
            raise

    setattr(transact_write_items, _INSTALLED, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[Snapshot]:
    """A copy of each item the transaction names, as it is now (None where there is none)."""
    taken: list[Snapshot] = []
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = backend.tables[op["TableName"]]
            if op_type == "Put":
                names = [n for n in (table.hash_key_attr, table.range_key_attr) if n is not None]
                key = {n: op["Item"][n] for n in names}
            else:
                key = op["Key"]
            current = backend.get_item(op["TableName"], key)
        except Exception:  # moto reports a malformed entry itself; nothing to restore
            continue
        taken.append((op["TableName"], key, copy.deepcopy(current)))
    return taken


def _restore(backend: Any, taken: list[Snapshot]) -> None:
    """Put every touched item back; the first snapshot of a key is its state before the transaction."""
    for table_name, key, item in reversed(taken):
        if item is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, item.to_json()["Attributes"])
