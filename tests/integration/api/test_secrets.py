"""SSM-held secrets are re-read after a TTL: revocation and rotation work without a restart."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opsrunbook_api.github.signature import sign
from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from tests.conftest import isolated
from tests.integration.api_support import assert_error, auth, settings_for

pytestmark = pytest.mark.integration
TTL = 0.5


@pytest.fixture(scope="module")
def names(aws: AwsTarget) -> ResourceNames:
    return isolated(aws, "api-sec-")


def _ping(client: TestClient, secret: str) -> Any:
    body = json.dumps({"zen": "z"}).encode()
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
    }
    return client.post("/v1/webhooks/github", content=body, headers=headers)


def test_a_revoked_key_is_refused_after_the_ttl(aws: AwsTarget, names: ResourceNames) -> None:
    parameter = f"/api-test/{uuid.uuid4().hex[:8]}/keys"
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=parameter, Value="old-key-1", Type="SecureString")
    settings = settings_for(aws, names, api_keys=None, api_keys_parameter=parameter, secret_ttl_seconds=TTL)
    with TestClient(create_app(settings)) as client:
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("old-key-1")), 404)
        ssm.put_parameter(Name=parameter, Value="new-key-2", Type="SecureString", Overwrite=True)
        time.sleep(TTL + 0.2)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("new-key-2")), 404)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("old-key-1")), 403)
        # SSM stops answering (the parameter is gone): the last good value keeps serving
        ssm.delete_parameter(Name=parameter)
        time.sleep(TTL + 0.2)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("new-key-2")), 404)


def test_a_webhook_secret_rotation_needs_no_restart(aws: AwsTarget, names: ResourceNames) -> None:
    base = f"/api-test/{uuid.uuid4().hex[:8]}"
    current, previous = f"{base}/webhook_secret", f"{base}/webhook_secret_previous"
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=current, Value="secret-one", Type="SecureString")
    settings = settings_for(
        aws,
        names,
        github_webhook_secret=None,
        github_webhook_secret_parameter=current,
        github_webhook_secret_previous_parameter=previous,
        secret_ttl_seconds=TTL,
    )
    with TestClient(create_app(settings)) as client:
        assert _ping(client, "secret-one").status_code == 200
        assert_error(_ping(client, "secret-two"), 401)
        # rotation: the new secret in place, the old one kept as previous while GitHub is switched
        ssm.put_parameter(Name=current, Value="secret-two", Type="SecureString", Overwrite=True)
        ssm.put_parameter(Name=previous, Value="secret-one", Type="SecureString")
        time.sleep(TTL + 0.2)
        assert _ping(client, "secret-two").status_code == 200
        assert _ping(client, "secret-one").status_code == 200
        ssm.put_parameter(Name=previous, Value="retired", Type="SecureString", Overwrite=True)
        time.sleep(TTL + 0.2)
        assert _ping(client, "secret-two").status_code == 200
        assert_error(_ping(client, "secret-one"), 401)
