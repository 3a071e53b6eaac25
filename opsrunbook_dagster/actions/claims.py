"""Per-incident claims: the unit of exactly-once is the incident and the action type, not the run.

``pk = INCIDENT#{incident_id}``, ``sk = CLAIM#{action_type}``: ``token`` (the fencing token, +1 on
every acquisition), ``holder`` (the action id), ``lease_until_ms``. A worker acquires the claim
before its external calls — conditionally: no claim yet, or the previous lease expired (or was
released) — and every later write it makes (lease renewal, release, the ``ACTION#`` outcome) is
conditional on *its* token, so a worker that lost its lease can neither extend it nor record
over the worker that took over. Two runs of one incident therefore never search-then-create at
the same time, and a call that outlives its lease is covered by renewals (see ``lease.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.requests_table import from_item, to_item
from opsrunbook_dagster.stores.table_keys import claim_sk, incident_key


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Claim:
    incident_id: str
    action_type: str
    holder: str
    token: int

    @property
    def sk(self) -> str:
        return claim_sk(self.action_type)


@dataclass
class ClaimStore:
    dynamodb: Any
    table: str

    def _key(self, incident_id: str, action_type: str) -> dict[str, Any]:
        return to_item(incident_key(incident_id, claim_sk(action_type)))

    def acquire(
        self, incident_id: str, action_type: str, holder: str, now: datetime, lease_seconds: float
    ) -> Claim | None:
        """The claim with a new token, or None while another worker's lease runs."""
        try:
            response = self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(incident_id, action_type),
                UpdateExpression=(
                    "SET #token = if_not_exists(#token, :zero) + :one, holder = :holder, "
                    "lease_until_ms = :until, acquired_at = :at"
                ),
                ConditionExpression="attribute_not_exists(#token) OR lease_until_ms <= :now",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues=to_item(
                    {
                        ":zero": 0,
                        ":one": 1,
                        ":holder": holder,
                        ":until": epoch_ms(now) + int(lease_seconds * 1000),
                        ":at": format_datetime(now),
                        ":now": epoch_ms(now),
                    }
                ),
                ReturnValues="UPDATED_NEW",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        token = int(from_item(response["Attributes"])["token"])
        return Claim(incident_id, action_type, holder, token)

    def renew(self, claim: Claim, until: datetime) -> bool:
        """Extend the lease to ``until`` — only while the claim still carries this token."""
        return self._set(claim, epoch_ms(until))

    def release(self, claim: Claim) -> bool:
        """Let the next worker in at once (a no-op when the claim was taken over)."""
        return self._set(claim, 0)

    def _set(self, claim: Claim, until_ms: int) -> bool:
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(claim.incident_id, claim.action_type),
                UpdateExpression="SET lease_until_ms = :until",
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues=to_item({":until": until_ms, ":token": claim.token}),
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, incident_id: str, action_type: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key=self._key(incident_id, action_type), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None
