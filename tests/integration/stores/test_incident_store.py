"""IncidentStore against the sandbox: reads follow DynamoDB's pagination to the last row."""

from __future__ import annotations

import pytest

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import to_item
from tests.conftest import isolated

pytestmark = pytest.mark.integration


def test_rows_reads_every_page_in_sort_key_order(aws: AwsTarget) -> None:
    names = isolated(aws, "incident-store-")
    deps = PipelineDeps(target=aws, names=names)
    dynamodb = deps.client("dynamodb")
    for n in range(7):
        dynamodb.put_item(
            TableName=names.incidents_table,
            Item=to_item({"pk": "INCIDENT#inc-paged", "sk": f"RUN#r{n:02d}", "status": "SUCCEEDED"}),
        )
    dynamodb.put_item(
        TableName=names.incidents_table, Item=to_item({"pk": "INCIDENT#inc-paged", "sk": "META"})
    )
    paged = deps.incidents.rows("inc-paged", "RUN#", page_size=2)  # four pages
    assert [r["sk"] for r in paged] == [f"RUN#r{n:02d}" for n in range(7)]
    assert deps.incidents.rows("inc-paged", "RUN#") == paged
    assert deps.incidents.rows("inc-missing", "RUN#") == []
