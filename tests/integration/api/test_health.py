"""/health says two booleans to anyone; the detailed readiness view needs the API key; probes are cached."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from tests.conftest import isolated
from tests.integration.api_support import DAGSTER_UI, KEYS, WEBHOOK_SECRET, assert_error, auth, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def names(aws: AwsTarget) -> ResourceNames:
    return isolated(aws, "api-health-")


def test_unauthenticated_health_reveals_no_configuration(aws: AwsTarget, names: ResourceNames) -> None:
    with TestClient(create_app(settings_for(aws, names))) as client:
        response = client.get("/health")
        assert response.status_code == 200, response.text
        assert response.json() == {"live": True, "ready": True}
        # before: the endpoint URL, every table, the bucket, the SSM parameter names and the Dagster URL
        for leaked in (
            str(aws.endpoint_url),
            names.incidents_table,
            names.evidence_bucket,
            "/opsrunbook/",
            DAGSTER_UI,
            *KEYS,
            WEBHOOK_SECRET,
        ):
            assert leaked not in response.text
        assert_error(client.get("/health/ready"), 401)
        assert_error(client.get("/health/ready", headers=auth("wrong")), 403)
        detailed = client.get("/health/ready", headers=auth())
        assert detailed.status_code == 200 and detailed.json()["ready"] is True
        assert detailed.json()["config"]["evidence_bucket"] == names.evidence_bucket


@pytest.mark.parametrize(("cache_seconds", "after_delete"), [(60.0, 200), (0.0, 503)])
def test_readiness_probes_are_cached(
    aws: AwsTarget, names: ResourceNames, cache_seconds: float, after_delete: int
) -> None:
    """A table deleted after a probe: within the cache window nobody asks AWS again (before: 6 calls
    per hit, so the deletion showed at once); with no cache it shows at once."""
    dynamodb = aws.client("dynamodb")
    table = f"api-health-probe-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    settings = settings_for(aws, names, snapshots_table=table, health_cache_seconds=cache_seconds)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        dynamodb.delete_table(TableName=table)
        assert client.get("/health").status_code == after_delete
        assert client.get("/health/ready", headers=auth()).status_code == after_delete
