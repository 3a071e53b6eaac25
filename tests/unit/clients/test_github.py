"""GitHub App auth and the REST client against the GitHub fake (validated by GitHub's OpenAPI)."""

from __future__ import annotations

import base64
import logging
import time

import jwt
import pytest

from opsrunbook_dagster.clients.github import GitHubClient
from opsrunbook_dagster.clients.github_app import AppAuth, GitHubAppConfig, GitHubConfigError
from opsrunbook_dagster.clients.http import HttpError
from opsrunbook_dagster.clients.secrets import Secret
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake, generate_app_key
from opsrunbook_dagster.fakes.github_spec import github_spec
from opsrunbook_dagster.fakes.reference import GITHUB_OPENAPI
from tests.actions_support import FAST, needs_reference


def _auth(server: FakeServer, installation_id: str | None = None, key_b64: str | None = None) -> AppAuth:
    app: GitHubFake = server.app  # type: ignore[assignment]
    config = GitHubAppConfig(
        app_id=app.app_id,
        private_key_b64=Secret(key_b64 or app.private_key_b64),
        api_url=server.url,
        installation_id=installation_id,
    )
    return AppAuth(config, FAST)


def test_app_jwt_claims() -> None:
    key, encoded = generate_app_key()
    auth = AppAuth(GitHubAppConfig(app_id="99", private_key_b64=Secret(encoded)), clock=lambda: 1_800_000_000)
    token = auth.app_jwt()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(
        token, key.public_key(), algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims == {"iat": 1_800_000_000 - 60, "exp": 1_800_000_000 + 540, "iss": "99"}
    assert claims["exp"] - claims["iat"] <= 600


def test_bad_private_key_is_a_config_error_without_the_key() -> None:
    with pytest.raises(GitHubConfigError) as error:
        AppAuth(GitHubAppConfig(app_id="1", private_key_b64=Secret("placeholder-not-a-key")))
    assert "placeholder-not-a-key" not in str(error.value)
    with pytest.raises(GitHubConfigError):
        AppAuth(
            GitHubAppConfig(app_id="1", private_key_b64=Secret(base64.b64encode(b"-----BEGIN nope").decode()))
        )


def test_installation_lookup_and_token_cache(github_fake: FakeServer) -> None:
    app: GitHubFake = github_fake.app  # type: ignore[assignment]
    app.add_repo("acme/svc", {"README.md": "hi"}, installation_id=55)
    auth = _auth(github_fake)
    client = GitHubClient(auth, FAST)
    for _ in range(3):
        assert client.repository("acme/svc")["default_branch"] == "main"
    assert auth.token_requests == 1
    assert len(app.requests_for("GET", "/installation$")) == 1
    app.token_ttl = 200  # expires within the 5-minute margin: every use refreshes
    auth._tokens.clear()
    client.repository("acme/svc")
    client.repository("acme/svc")
    assert auth.token_requests == 3
    assert app.violations == []


def test_branch_file_and_pull_round_trip_with_spec_valid_requests(github_fake: FakeServer) -> None:
    app: GitHubFake = github_fake.app  # type: ignore[assignment]
    app.add_repo("acme/svc", {"app/main.py": "print()"})
    client = GitHubClient(_auth(github_fake, installation_id="77"), FAST)
    assert client.branch_sha("acme/svc", "opsrunbook/incident-1") is None
    base = client.branch_sha("acme/svc", "main")
    assert base and client.create_branch("acme/svc", "opsrunbook/incident-1", base) is True
    assert client.create_branch("acme/svc", "opsrunbook/incident-1", base) is False
    assert client.exists("acme/svc", "app/main.py") and not client.exists("acme/svc", "app/other.py")
    put = {
        "message": "m",
        "content": base64.b64encode(b"# hello\n").decode(),
        "branch": "opsrunbook/incident-1",
    }
    client.send(
        "acme/svc",
        {"method": "PUT", "path": "/repos/acme/svc/contents/incidents/1.md", "json": put},
        safe=False,
    )
    sha, content = client.file("acme/svc", "incidents/1.md", ref="opsrunbook/incident-1")  # type: ignore[misc]
    assert content == b"# hello\n" and len(sha) == 40
    pr = {"title": "t", "head": "opsrunbook/incident-1", "base": "main", "body": "b"}
    created = client.send(
        "acme/svc", {"method": "POST", "path": "/repos/acme/svc/pulls", "json": pr}, safe=False
    )
    assert created["number"] == 1 and created["html_url"].endswith("/acme/svc/pull/1")
    assert [p["number"] for p in client.open_pulls("acme/svc", "opsrunbook/incident-1")] == [1]
    again = client.send(
        "acme/svc", {"method": "POST", "path": "/repos/acme/svc/pulls", "json": pr}, expect=(422,)
    )
    assert "already exists" in str(again)
    assert app.violations == []


@needs_reference(GITHUB_OPENAPI)
def test_the_fake_rejects_requests_the_spec_does_not_allow(github_fake: FakeServer) -> None:
    app: GitHubFake = github_fake.app  # type: ignore[assignment]
    app.add_repo("acme/svc")
    client = GitHubClient(_auth(github_fake, installation_id="77"), FAST)
    with pytest.raises(HttpError) as error:
        client.send("acme/svc", {"method": "POST", "path": "/repos/acme/svc/pulls", "json": {"title": 5}})
    assert error.value.status == 422
    assert any("'head' is a required property" in v for v in app.violations)
    assert any("title: 5 is not of type 'string'" in v for v in app.violations)


@needs_reference(GITHUB_OPENAPI)
def test_fake_responses_satisfy_the_spec() -> None:
    spec = github_spec()
    assert spec is not None
    body = spec.shaped("POST", "/repos/a/b/pulls", 201, {"number": 3, "title": "t"})
    assert spec.check_response("POST", "/repos/a/b/pulls", 201, body) == []
    assert spec.check_response("POST", "/repos/a/b/pulls", 201, {"number": 3})  # incomplete → violations


def test_retry_after_500s_and_wrong_key(github_fake: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app: GitHubFake = github_fake.app  # type: ignore[assignment]
    app.add_repo("acme/svc")
    client = GitHubClient(_auth(github_fake, installation_id="77"), FAST)
    app.fault("status", method="GET", path="/repos/acme/svc$", status=429, retry_after=1)
    started = time.monotonic()
    client.repository("acme/svc")
    assert time.monotonic() - started >= 1.0
    app.fault("status", method="GET", path="/repos/acme/svc$", status=500, times=5)
    with pytest.raises(HttpError) as error:
        client.repository("acme/svc")
    assert error.value.code == "http_500"
    _, other = generate_app_key()
    with pytest.raises(HttpError) as error:
        GitHubClient(_auth(github_fake, key_b64=other), FAST).repository("acme/svc")
    assert error.value.status == 401
    for token in app.tokens:
        assert token not in caplog.text
    assert app.private_key_b64[:40] not in caplog.text
