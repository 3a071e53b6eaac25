"""Per-key rate limit (429 + Retry-After) and authentication before the body is looked at."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from tests.conftest import isolated
from tests.integration.api_support import KEYS, assert_error, auth, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def names(aws: AwsTarget) -> ResourceNames:
    return isolated(aws, "api-rl-")


def test_a_key_over_its_rate_gets_429_with_retry_after(aws: AwsTarget, names: ResourceNames) -> None:
    """Before: no limit (every request was served)."""
    settings = settings_for(aws, names, rate_limit_per_minute=6, rate_limit_burst=3)
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth(KEYS[0])), 404)
        limited = client.get("/v1/incidents/inc-unknown-1", headers=auth(KEYS[0]))
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 10
        # another key has its own bucket; an unknown key is refused before it costs a token
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth(KEYS[1])), 404)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("nope")), 403)


def test_the_limit_is_off_by_default(aws: AwsTarget, names: ResourceNames) -> None:
    with TestClient(create_app(settings_for(aws, names))) as client:
        for _ in range(40):
            assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth()), 404)


@pytest.mark.parametrize("body", [b"{not json", b'{"event_id": 1}', b"[" * 50_000 + b"]" * 50_000])
def test_no_key_is_401_whatever_the_body(aws: AwsTarget, names: ResourceNames, body: bytes) -> None:
    """Authentication comes before the body is parsed or validated (before: 422 said what was wrong)."""
    with TestClient(create_app(settings_for(aws, names))) as client:
        response = client.post("/v1/incidents", content=body, headers={"Content-Type": "application/json"})
        assert_error(response, 401)
        wrong = client.post(
            "/v1/incidents", content=body, headers={"Content-Type": "application/json", **auth("nope")}
        )
        assert_error(wrong, 403)
