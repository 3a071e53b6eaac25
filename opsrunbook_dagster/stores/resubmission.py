"""A request submitted again after its run FAILED or was CANCELED: a new attempt, not the old answer."""

from __future__ import annotations

from typing import Any, Protocol

from opsrunbook_dagster.stores.run_status import RESUBMITTABLE
from opsrunbook_dagster.stores.serialization import to_item
from opsrunbook_dagster.stores.table_keys import META_SK, incident_key, row_key, run_sk

PENDING = "pending"


class RequestStore(Protocol):
    """The tables a resubmission writes (``requests_table.RequestStore`` is one)."""

    @property
    def dynamodb(self) -> Any: ...
    @property
    def requests_table(self) -> str: ...
    @property
    def incidents_table(self) -> str: ...
    @property
    def row_sk(self) -> str: ...


class RequestRow(Protocol):
    """The failed request row (``requests_table.RequestRow`` is one)."""

    @property
    def pk(self) -> str: ...
    @property
    def raw(self) -> dict[str, Any]: ...
    @property
    def submission(self) -> int: ...


def resubmit(store: RequestStore, existing: RequestRow, moment: str) -> bool:
    """FAILED/CANCELED → REQUESTED and back in the pending index, as submission n + 1.

    Conditional on the row still being failed, so two resubmissions racing start one attempt;
    the run key changes with the submission, so Dagster's run-key de-duplication does not
    swallow the new run. The RUN/META rows follow (best effort: the sensor rewrites them)."""
    submission = existing.submission + 1
    statuses = sorted(RESUBMITTABLE)
    try:
        store.dynamodb.update_item(
            TableName=store.requests_table,
            Key=to_item(row_key(existing.pk, store.row_sk)),
            UpdateExpression=(
                "SET #s = :req, #q = :pending, submission = :n, updated_at = :now, "
                "resubmitted_at = :now REMOVE reason"
            ),
            ConditionExpression="#s IN (" + ", ".join(f":r{i}" for i in range(len(statuses))) + ")",
            ExpressionAttributeNames={"#s": "status", "#q": "queue"},
            ExpressionAttributeValues=to_item(
                {
                    ":req": "REQUESTED",
                    ":pending": PENDING,
                    ":n": submission,
                    ":now": moment,
                    **{f":r{i}": s for i, s in enumerate(statuses)},
                }
            ),
        )
    except store.dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    incident_id, run_id = str(existing.raw.get("incident_id")), str(existing.raw.get("run_id"))
    for sk in (run_sk(run_id), META_SK):
        _reset_incident_row(store, incident_id, sk, run_id, submission, moment)
    return True


def _reset_incident_row(
    store: RequestStore, incident_id: str, sk: str, run_id: str, submission: int, moment: str
) -> None:
    statuses = {f":r{i}": s for i, s in enumerate(sorted(RESUBMITTABLE))}
    condition = f"#s IN ({', '.join(statuses)})"
    values: dict[str, Any] = {":req": "REQUESTED", ":now": moment, ":n": submission, **statuses}
    if sk == META_SK:  # only when this run is still the incident's latest
        condition += " AND latest_run_id = :run"
        values[":run"] = run_id
    try:
        store.dynamodb.update_item(
            TableName=store.incidents_table,
            Key=to_item(incident_key(incident_id, sk)),
            UpdateExpression="SET #s = :req, updated_at = :now, submission = :n REMOVE reason",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_item(values),
        )
    except store.dynamodb.exceptions.ConditionalCheckFailedException:
        pass  # the row moved on (or is another run's): nothing to reset
