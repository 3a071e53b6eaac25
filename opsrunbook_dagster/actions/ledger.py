"""Action rows in the incidents table: intent before the external call, outcome after it.

``pk = INCIDENT#{incident_id}``:

- ``ACTION#{action_id}``: ``status`` PENDING (attempt n, ``pending_at``) → SUCCEEDED / SKIPPED with
  the external reference, or FAILED with the error, or SENT_OR_LOST (a Teams card whose fate is
  unknown; never resent). Non-executed results are recorded as DRY_RUN / DISABLED / SKIPPED.
  Every transition is a conditional write on the attempt number, so two workers cannot both
  own an attempt and a late writer cannot overwrite a newer one.
- ``NOTIFIED#{channel}``: the finding set last notified on a channel (compare-and-set claim).
- ``ACTIONS#LATEST``: the run whose results are the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.requests_table import from_item, to_item
from opsrunbook_dagster.stores.row_update import update_request, update_row
from opsrunbook_dagster.stores.table_keys import (
    ACTIONS_LATEST_SK,
    action_sk,
    incident_key,
    incident_pk,
    notified_sk,
)

PENDING, SUCCEEDED, FAILED, SKIPPED = "PENDING", "SUCCEEDED", "FAILED", "SKIPPED"
SENT_OR_LOST, DRY_RUN, DISABLED = "SENT_OR_LOST", "DRY_RUN", "DISABLED"
#: Rows in these states are never executed again.
FINAL = frozenset({SUCCEEDED, SENT_OR_LOST})
_ALIASES = {"#status": "status", "#attempt": "attempt", "#sk": "sk"}


@dataclass
class ActionLedger:
    dynamodb: Any
    table: str

    @staticmethod
    def _key(incident_id: str, sk: str) -> dict[str, Any]:
        return to_item(incident_key(incident_id, sk))

    def _update(
        self,
        incident_id: str,
        sk: str,
        values: dict[str, Any],
        condition: str | None = None,
        condition_values: dict[str, Any] | None = None,
    ) -> bool:
        values = {k: v for k, v in values.items() if v is not None}
        names = {alias: real for alias, real in _ALIASES.items() if condition and alias in condition}
        key = incident_key(incident_id, sk)
        return update_row(self.dynamodb, self.table, key, values, condition, names, condition_values)

    def get(self, incident_id: str, action_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key=self._key(incident_id, action_sk(action_id)), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def rows(self, incident_id: str, prefix: str = action_sk.prefix) -> list[dict[str, Any]]:
        response = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": incident_pk(incident_id), ":prefix": prefix}),
            ConsistentRead=True,
        )
        return [from_item(i) for i in response.get("Items", [])]

    def begin(
        self,
        incident_id: str,
        action_id: str,
        attempt: int,
        previous: int | None,
        now: datetime,
        **values: Any,
    ) -> bool:
        """Claim attempt ``attempt`` (intent, PENDING) if the row is new or still at ``previous``
        and not final. False: another worker got there first."""
        row = {**values, "action_id": action_id, "status": PENDING, "attempt": attempt}
        row.update(pending_at=format_datetime(now), updated_at=format_datetime(now))
        if previous is None:
            condition, extra = "attribute_not_exists(#sk) OR attribute_not_exists(#attempt)", {}
        else:
            condition = "#attempt = :prev AND NOT #status IN (:final0, :final1)"
            extra = {":prev": previous, ":final0": SUCCEEDED, ":final1": SENT_OR_LOST}
        return self._update(incident_id, action_sk(action_id), row, condition, extra)

    def finish(
        self,
        incident_id: str,
        action_id: str,
        attempt: int,
        status: str,
        now: datetime,
        *,
        fence: tuple[str, int] | None = None,
        **values: Any,
    ) -> bool:
        """Record the outcome of attempt ``attempt`` (only while the row is still that attempt and,
        given ``fence = (claim sk, token)``, only while that claim still carries the token — one
        transaction). False: nothing written; the caller must not report success."""
        row = {
            **values,
            "status": status,
            "finished_at": format_datetime(now),
            "updated_at": format_datetime(now),
        }
        condition, extra = "#attempt = :n AND #status = :pending", {":n": attempt, ":pending": PENDING}
        if fence is None:
            return self._update(incident_id, action_sk(action_id), row, condition, extra)
        names = {a: n for a, n in _ALIASES.items() if a in condition}
        key = incident_key(incident_id, action_sk(action_id))
        update = update_request(key, {k: v for k, v in row.items() if v is not None}, condition, names, extra)
        check = {
            "TableName": self.table,
            "Key": self._key(incident_id, fence[0]),
            "ConditionExpression": "#token = :token",
            "ExpressionAttributeNames": {"#token": "token"},
            "ExpressionAttributeValues": to_item({":token": fence[1]}),
        }
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[{"ConditionCheck": check}, {"Update": {"TableName": self.table, **update}}]
            )
        except self.dynamodb.exceptions.TransactionCanceledException:
            return False
        return True

    def note(self, incident_id: str, action_id: str, status: str, now: datetime, **values: Any) -> bool:
        """Record a result that made no external call, unless the row already holds a live attempt."""
        row = {**values, "action_id": action_id, "status": status, "updated_at": format_datetime(now)}
        return self._update(
            incident_id,
            action_sk(action_id),
            row,
            "attribute_not_exists(#attempt) OR NOT #status IN (:s0, :s1, :s2)",
            {":s0": SUCCEEDED, ":s1": SENT_OR_LOST, ":s2": PENDING},
        )

    # ---- notification claims ----------------------------------------------------------------
    def claim_notification(
        self, incident_id: str, channel: str, finding_set: str, action_id: str, now: datetime
    ) -> tuple[bool, dict[str, Any] | None]:
        """Compare-and-set: this action notifies ``finding_set`` unless it is the set last notified
        (by another action). Returns (claimed, the row before)."""
        sk = notified_sk(channel)
        before = self._get(incident_id, sk)
        if before and before.get("finding_set") == finding_set and before.get("action_id") != action_id:
            return False, before
        values = {
            "finding_set": finding_set,
            "action_id": action_id,
            "claimed_at": format_datetime(now),
            "previous_finding_set": (before or {}).get("finding_set", ""),
            "previous_action_id": (before or {}).get("action_id", ""),
        }
        if before is None:
            ok = self._update(incident_id, sk, values, "attribute_not_exists(#sk)")
        else:
            ok = self._update(
                incident_id,
                sk,
                values,
                "finding_set = :seen AND action_id = :seen_by",
                {":seen": before.get("finding_set"), ":seen_by": before.get("action_id")},
            )
        return ok, before

    def release_notification(self, incident_id: str, channel: str, action_id: str, now: datetime) -> None:
        """Undo this action's claim after a definite failure, so a later attempt may notify."""
        row = self._get(incident_id, notified_sk(channel))
        if not row or row.get("action_id") != action_id:
            return
        self._update(
            incident_id,
            notified_sk(channel),
            {
                "finding_set": row.get("previous_finding_set", ""),
                "action_id": row.get("previous_action_id", ""),
                "claimed_at": format_datetime(now),
            },
            "action_id = :mine",
            {":mine": action_id},
        )

    def _get(self, incident_id: str, sk: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key=self._key(incident_id, sk), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def set_latest(self, incident_id: str, run_id: str, now: datetime, **values: Any) -> None:
        self._update(
            incident_id, ACTIONS_LATEST_SK, {**values, "run_id": run_id, "updated_at": format_datetime(now)}
        )
