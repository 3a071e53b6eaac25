"""The API package's layering, settings, error formatting, key checks, and factory/Lambda wiring."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient
from pydantic import SecretStr

from contracts.incident_event import IncidentEventV1
from opsrunbook_api.api.errors import field_path
from opsrunbook_api.core.config import Settings
from opsrunbook_api.core.secrets import SecretSource, SecretUnavailable, split_keys
from opsrunbook_api.core.security import KeyCheck, check_api_key, matches_any
from opsrunbook_dagster.aws.names import ResourceNames
from tests import factories

ROOT = Path(__file__).resolve().parents[3]
#: Parts of the API that must stay framework-free (services, pure GitHub code, models, settings).
FRAMEWORK_FREE = ["opsrunbook_api/github", "opsrunbook_api/services", "opsrunbook_api/schemas"]
FRAMEWORK_FREE_FILES = [
    "opsrunbook_api/core/config.py",
    "opsrunbook_api/core/secrets.py",
    "opsrunbook_api/core/security.py",
]


def _top_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_services_and_pure_parts_do_not_import_the_web_framework() -> None:
    paths = [p for d in FRAMEWORK_FREE for p in sorted((ROOT / d).rglob("*.py"))]
    paths += [ROOT / f for f in FRAMEWORK_FREE_FILES]
    offenders = [str(p.relative_to(ROOT)) for p in paths if _top_imports(p) & {"fastapi", "starlette"}]
    assert offenders == []


def test_importing_the_package_reads_nothing() -> None:
    # A fresh interpreter whose AWS endpoint is a closed port: importing must neither build the app
    # nor touch AWS (the module attribute ``app`` only exists once accessed).
    code = (
        "import opsrunbook_api.main as m, opsrunbook_api.lambda_handler as h\n"
        "assert 'app' not in vars(m) and h._adapter is None\n"
        "assert m.app is m.app\n"
    )
    env = {**os.environ, "OPSRUNBOOK_API_KEYS": "k", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()


def test_create_app_makes_no_aws_calls() -> None:
    settings = Settings(_env_file=None, api_keys="k", aws_endpoint_url="http://127.0.0.1:9")
    started = time.monotonic()
    app = importlib.import_module("opsrunbook_api.main").create_app(settings)
    with TestClient(app) as client:
        assert client.get("/v1/incidents/inc-abc").status_code == 401
        assert client.get("/v1/incidents/inc-abc", headers={"X-API-Key": "wrong"}).status_code == 403
        assert client.get("/openapi.json").status_code == 200
    assert time.monotonic() - started < 5


def test_settings_follow_resource_name_semantics() -> None:
    settings = Settings(_env_file=None, table_prefix="t-", packets_table="pk", evidence_bucket="b")
    assert settings.resource_names() == ResourceNames(
        incident_requests_table="t-incident-requests",
        incidents_table="t-incidents",
        snapshots_table="t-snapshots",
        packets_table="pk",
        pr_review_requests_table="t-pr-review-requests",
        evidence_bucket="b",
    )
    assert Settings(_env_file=None).dagster_run_url("abc") == "http://127.0.0.1:3000/runs/abc"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSRUNBOOK_API_KEYS", "a, b")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "")
    monkeypatch.setenv("DAGSTER_UI_URL", "http://dagster:3000/")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    settings = Settings(_env_file=None)
    assert settings.api_keys is not None and split_keys(settings.api_keys.get_secret_value()) == ("a", "b")
    assert settings.github_webhook_secret is None  # blank means unset (then SSM)
    assert settings.aws_region == "eu-west-1"
    assert settings.dagster_run_url("x") == "http://dagster:3000/runs/x"
    assert "a, b" not in repr(settings)


class _FakeSsm:
    """Stands in for the SSM client object handed to SecretSource (not a patched boto3 client)."""

    def __init__(self, value: str | None) -> None:
        self.value, self.calls = value, 0

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls += 1
        if self.value is None:
            raise RuntimeError("ParameterNotFound")
        return {"Parameter": {"Value": self.value}}


def test_secret_source_reads_once_and_retries_failures() -> None:
    ssm = _FakeSsm(None)
    source = SecretSource("API keys", None, "/p", lambda: ssm)
    with pytest.raises(SecretUnavailable, match="API keys not configured"):
        source.get()
    ssm.value = "k1,k2"
    assert source.get() == "k1,k2" and source.get() == "k1,k2" and ssm.calls == 2
    assert source.origin == "ssm:/p" and source.loaded
    direct = SecretSource("x", SecretStr("v"), "/p", lambda: pytest.fail("no SSM when configured"))
    assert direct.get() == "v" and direct.origin == "env"


def test_key_checks() -> None:
    source = SecretSource("API keys", SecretStr(" old , new ,"), "/p", lambda: None)
    assert check_api_key(None, source) is KeyCheck.missing
    assert check_api_key("", source) is KeyCheck.missing
    assert check_api_key("new", source) is KeyCheck.valid and check_api_key("old", source) is KeyCheck.valid
    assert (
        check_api_key("ne", source) is KeyCheck.invalid and check_api_key("new ", source) is KeyCheck.invalid
    )
    assert not matches_any("x", ())
    assert check_api_key("é", source) is KeyCheck.invalid


@pytest.mark.parametrize(
    ("error", "path"),
    [
        (
            {
                "loc": ("body", "time_window"),
                "msg": "Value error, end must be after start",
                "type": "value_error",
                "input": {"start": "b", "end": "a"},
            },
            "time_window.end",
        ),
        (
            {
                "loc": ("body", "time_window"),
                "msg": "Value error, time_window is longer than 7 days",
                "type": "value_error",
                "input": {"start": "a", "end": "b"},
            },
            "time_window",
        ),
        (
            {
                "loc": ("body", "hints"),
                "msg": "Value error, at least one hint is required",
                "type": "value_error",
                "input": {},
            },
            "hints",
        ),
        ({"loc": ("body",), "msg": "Field required", "type": "missing"}, "body"),
        ({"loc": ("query", "limit"), "msg": "too small", "type": "greater_than_equal"}, "query.limit"),
    ],
)
def test_field_path(error: dict[str, Any], path: str) -> None:
    assert field_path(error) == path


def test_lambda_handler_serves_through_mangum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSRUNBOOK_API_KEYS", "lambda-key")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    module = importlib.reload(importlib.import_module("opsrunbook_api.lambda_handler"))
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/v1/incidents/inc-abc",
        "rawQueryString": "",
        "headers": {"host": "api.example.com", "x-api-key": "wrong"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": "/v1/incidents/inc-abc",
                "sourceIp": "1.2.3.4",
                "protocol": "HTTP/1.1",
            },
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    response = module.handler(event, None)
    assert response["statusCode"] == 403
    assert '"code":"forbidden"' in response["body"]


def test_health_without_aws_is_503_quickly() -> None:
    settings = Settings(_env_file=None, api_keys="k", aws_endpoint_url="http://127.0.0.1:9")
    started = time.monotonic()
    with TestClient(importlib.import_module("opsrunbook_api.main").create_app(settings)) as client:
        response = client.get("/health/ready", headers={"X-API-Key": "k"})
    assert response.status_code == 503
    health = response.json()
    assert health["live"] is True and health["ready"] is False and health["status"] == "degraded"
    assert health["checks"] and not any(c["ok"] for c in health["checks"].values())
    assert time.monotonic() - started < 15


class _CancelledStore:
    def submit(self, event: Any) -> Any:
        raise ClientError({"Error": {"Code": "TransactionCanceledException"}}, "TransactWriteItems")


def test_cancelled_transaction_without_a_stored_request_is_a_retryable_503() -> None:
    from opsrunbook_api.services.errors import Unavailable
    from opsrunbook_api.services.incidents import IncidentService

    deps = SimpleNamespace(requests=_CancelledStore())
    event = IncidentEventV1.model_validate(factories.incident_event(event_id="evt-cancelled-1"))
    with pytest.raises(Unavailable) as info:
        IncidentService(deps).submit(event)  # type: ignore[arg-type]
    assert info.value.details["retry_after"] == 1
