"""GET /v1/incidents: newest first from the listing index, filters, signed cursors, bounded limit."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.incident_listing import (
    INCIDENT_LIST_ATTRIBUTES,
    INCIDENT_LIST_INDEX,
    ListFilters,
    backfill_listing,
    list_incidents,
)
from opsrunbook_dagster.stores.serialization import to_item
from tests.integration.api_support import api_fixtures, assert_error, auth, event_body

pytestmark = pytest.mark.integration
PREFIX = "api-list-"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

names, deps, client = api_fixtures(PREFIX)


@pytest.fixture(scope="module")
def seeded(deps: PipelineDeps) -> list[str]:
    """Seven incidents one minute apart (the first one whole seconds, the rest with fractions, so
    text order of plain ISO strings would be wrong); ids newest first."""
    ids = []
    for i in range(7):
        incident_id = f"inc-list-{i}"
        service = "checkout" if i % 2 else "payment-gateway"
        environment = "staging" if i == 3 else "prod"
        body = event_body(incident_id=incident_id, service=service, environment=environment)
        moment = T0 + timedelta(minutes=i, microseconds=0 if i == 0 else 250_000)
        outcome = deps.requests.submit(IncidentEventV1.model_validate(body), now=moment)
        assert outcome.created
        ids.append(incident_id)
    deps.incidents.set_run_status("inc-list-2", outcome_run(deps, "inc-list-2"), "RETRYING")
    deps.incidents.set_run_status("inc-list-5", outcome_run(deps, "inc-list-5"), "RUNNING")
    deps.incidents.set_run_status("inc-list-5", outcome_run(deps, "inc-list-5"), "CANCELED")
    return list(reversed(ids))


def outcome_run(deps: PipelineDeps, incident_id: str) -> str:
    meta = deps.incidents.meta(incident_id)
    assert meta is not None
    return str(meta["latest_run_id"])


def _pages(client: TestClient, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/incidents", params=query, headers=auth())
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "cursor never ends"


def test_the_table_has_the_listing_index(deps: PipelineDeps) -> None:
    table = deps.client("dynamodb").describe_table(TableName=deps.names.incidents_table)["Table"]
    assert INCIDENT_LIST_INDEX["IndexName"] in {i["IndexName"] for i in table["GlobalSecondaryIndexes"]}


def test_seven_incidents_in_three_pages_newest_first(client: TestClient, seeded: list[str]) -> None:
    pages = _pages(client, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    listed = [i["incident_id"] for p in pages for i in p]
    assert listed == seeded  # no duplicate, nothing missed, newest first
    first = pages[0][0]
    assert first["url"] == "/v1/incidents/inc-list-6" and first["service"] == "payment-gateway"
    assert first["created_at"].startswith("2026-11-20T09:06:00.25")


def test_default_limit_is_one_page(client: TestClient, seeded: list[str]) -> None:
    body = client.get("/v1/incidents", headers=auth()).json()
    assert [i["incident_id"] for i in body["items"]] == seeded
    assert body["next_cursor"] is None and body["limit"] == 50


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service": "checkout"}, ["inc-list-5", "inc-list-3", "inc-list-1"]),
        ({"environment": "staging"}, ["inc-list-3"]),
        ({"status": "RETRYING"}, ["inc-list-2"]),
        ({"status": "CANCELED"}, ["inc-list-5"]),
        ({"status": "REQUESTED", "service": "payment-gateway"}, ["inc-list-6", "inc-list-4", "inc-list-0"]),
        ({"since": "2026-11-20T09:04:00Z"}, ["inc-list-6", "inc-list-5", "inc-list-4"]),
        ({"since": "2026-11-20T09:00:00.5+00:00"}, [f"inc-list-{i}" for i in range(6, 0, -1)]),
        ({"service": "nobody"}, []),
    ],
)
def test_filters(client: TestClient, seeded: list[str], params: dict[str, str], expected: list[str]) -> None:
    one_by_one = [i["incident_id"] for p in _pages(client, limit=1, **params) for i in p]
    assert one_by_one == expected
    whole = client.get("/v1/incidents", params=params, headers=auth()).json()["items"]
    assert [i["incident_id"] for i in whole] == expected
    if "status" in params:
        assert {i["status"] for i in whole} <= {params["status"]}


def _cursor(client: TestClient, **params: Any) -> str:
    body = client.get("/v1/incidents", params={"limit": 2, **params}, headers=auth()).json()
    return str(body["next_cursor"])


def _reencode(cursor: str, change: Any) -> str:
    body, signature = cursor.split(".")
    doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    change(doc)
    raw = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    return f"{raw}.{signature}"


def test_bad_cursors_are_422_naming_cursor(client: TestClient, seeded: list[str]) -> None:
    good = _cursor(client)
    forged = _reencode(good, lambda d: d["k"].update(pk="INCIDENT#inc-list-0"))
    bad = [
        "not-a-cursor",
        "!!!.???",
        good + "x",
        good.split(".")[0] + ".AAAA",
        forged,
        "a" * 1025,
        base64.urlsafe_b64encode(b'{"pk":{"S":"INCIDENT#x"}}').decode().rstrip("="),
    ]
    for cursor in bad:
        error = assert_error(
            client.get("/v1/incidents", params={"limit": 2, "cursor": cursor}, headers=auth()),
            422,
            "validation_error",
        )
        assert "cursor" in error["message"], (cursor, error)
        assert error["details"]["errors"][0]["loc"].endswith("cursor")


def test_a_cursor_only_continues_its_own_filters(client: TestClient, seeded: list[str]) -> None:
    cursor = _cursor(client, service="payment-gateway")
    same = client.get(
        "/v1/incidents", params={"limit": 2, "cursor": cursor, "service": "payment-gateway"}, headers=auth()
    )
    assert [i["incident_id"] for i in same.json()["items"]] == ["inc-list-2", "inc-list-0"]
    other = client.get("/v1/incidents", params={"limit": 2, "cursor": cursor}, headers=auth())
    assert "cursor" in assert_error(other, 422, "validation_error")["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"status": "DONE"},
        {"since": "2026-11-20T09:00:00"},
        {"since": "0.5"},
        {"since": "1795856638"},
        {"service": "a b"},
    ],
)
def test_bad_parameters_are_422_naming_them(client: TestClient, params: dict[str, Any]) -> None:
    error = assert_error(client.get("/v1/incidents", params=params, headers=auth()), 422, "validation_error")
    (name,) = params
    assert error["message"].startswith(f"query.{name}:"), error


def test_limit_200_is_allowed(client: TestClient, seeded: list[str]) -> None:
    assert client.get("/v1/incidents", params={"limit": 200}, headers=auth()).status_code == 200


def test_options_on_the_collection_names_both_methods(client: TestClient) -> None:
    response = client.options("/v1/incidents", headers=auth())
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"


def test_the_list_needs_an_api_key(client: TestClient) -> None:
    assert_error(client.get("/v1/incidents"), 401, "unauthorized")
    assert_error(client.get("/v1/incidents", headers=auth("wrong-key")), 403, "forbidden")


def test_an_older_table_gets_the_index_and_its_rows_are_listed(aws: AwsTarget) -> None:
    """A table created before the list existed: the stack update adds the index (update_table here),
    and the one-off backfill gives the META rows written before it their index keys."""
    table = "api-list-old-incidents"
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(3):
        row = {"pk": f"INCIDENT#inc-old-{i}", "sk": "META", "created_at": f"2026-10-0{i + 1}T00:00:00Z"}
        dynamodb.put_item(TableName=table, Item=to_item({**row, "status": "SUCCEEDED"}))
    dynamodb.update_table(
        TableName=table,
        AttributeDefinitions=INCIDENT_LIST_ATTRIBUTES,
        GlobalSecondaryIndexUpdates=[{"Create": INCIDENT_LIST_INDEX}],
    )
    assert backfill_listing(dynamodb, table) == 3
    page = list_incidents(dynamodb, table, ListFilters(), 10)
    assert [r["pk"] for r in page.rows] == [f"INCIDENT#inc-old-{i}" for i in (2, 1, 0)]
    assert page.next_key is None
