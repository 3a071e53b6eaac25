"""Create the project's own AWS resources idempotently: bucket, DynamoDB tables, SSM parameters."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import SSM_PARAMETERS, ResourceNames
from opsrunbook_dagster.stores.incident_listing import (
    INCIDENT_LIST_ATTRIBUTES,
    INCIDENT_LIST_INDEX,
    backfill_listing,
)

#: Sparse index over rows waiting for a sensor: only rows with a ``queue`` attribute appear in it.
PENDING_INDEX = "pending-by-created"


def _table_spec(name: str, with_pending_index: bool, with_list_index: bool = False) -> dict[str, Any]:
    attributes = [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    spec: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if with_pending_index:
        attributes += [
            {"AttributeName": "queue", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ]
        spec["GlobalSecondaryIndexes"] = [
            {
                "IndexName": PENDING_INDEX,
                "KeySchema": [
                    {"AttributeName": "queue", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    if with_list_index:
        attributes += INCIDENT_LIST_ATTRIBUTES
        spec["GlobalSecondaryIndexes"] = [*spec.get("GlobalSecondaryIndexes", []), INCIDENT_LIST_INDEX]
    spec["AttributeDefinitions"] = attributes
    return spec


def _add_list_index(dynamodb: Any, table: str) -> None:
    """Tables made before the incident list existed get its index, and their META rows its keys."""
    described = dynamodb.describe_table(TableName=table)["Table"]
    if any(
        i["IndexName"] == INCIDENT_LIST_INDEX["IndexName"]
        for i in described.get("GlobalSecondaryIndexes", [])
    ):
        return
    dynamodb.update_table(
        TableName=table,
        AttributeDefinitions=INCIDENT_LIST_ATTRIBUTES,
        GlobalSecondaryIndexUpdates=[{"Create": INCIDENT_LIST_INDEX}],
    )
    backfill_listing(dynamodb, table)


def ensure_resources(
    target: AwsTarget, names: ResourceNames, *, seed_ssm: bool = True
) -> dict[str, list[str]]:
    """Create whatever is missing; returns what now exists (created or already there)."""
    s3 = target.client("s3")
    dynamodb = target.client("dynamodb")
    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if names.evidence_bucket not in existing_buckets:
        if target.region == "us-east-1":
            s3.create_bucket(Bucket=names.evidence_bucket)
        else:
            s3.create_bucket(
                Bucket=names.evidence_bucket, CreateBucketConfiguration={"LocationConstraint": target.region}
            )
    existing_tables = set(dynamodb.list_tables().get("TableNames", []))
    queued = {names.incident_requests_table, names.pr_review_requests_table}
    for table in names.tables:
        if table not in existing_tables:
            dynamodb.create_table(
                **_table_spec(
                    table,
                    with_pending_index=table in queued,
                    with_list_index=table == names.incidents_table,
                )
            )
    if names.incidents_table in existing_tables:
        _add_list_index(dynamodb, names.incidents_table)
    parameters: list[str] = []
    if seed_ssm:
        ssm = target.client("ssm")
        for name, value in SSM_PARAMETERS.items():
            try:
                ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False)
            except ssm.exceptions.ParameterAlreadyExists:
                pass
            parameters.append(name)
    return {"buckets": [names.evidence_bucket], "tables": list(names.tables), "ssm_parameters": parameters}
