"""GitHub App authentication: an RS256 JWT for the app, installation tokens for repositories.

The JWT's ``iat`` is 60 s in the past (clock drift) and it lives 10 minutes at most; ``iss`` is
the app id. The installation comes from settings or ``GET /repos/{o}/{r}/installation``; its
token is cached until 5 minutes before it expires.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsrunbook_dagster.clients.http import AfterWrite, HttpClient, Pacing, RetryPolicy
from opsrunbook_dagster.clients.paths import repo_path, segment
from opsrunbook_dagster.clients.secrets import Secret

GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
JWT_BACKDATE = 60
JWT_LIFETIME = 540  # exp - iat = 600 s: GitHub's maximum
TOKEN_REFRESH_MARGIN = 300


class GitHubConfigError(ValueError):
    """The GitHub App settings are unusable (message never contains the key)."""


@dataclass(frozen=True)
class GitHubAppConfig:
    app_id: str
    private_key_b64: Secret
    api_url: str = "https://api.github.com"
    installation_id: str | None = None


def load_private_key(encoded: Secret) -> Any:
    # imported here: only runs that open pull requests need cryptography (it is ~9 MB per process)
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        pem = base64.b64decode(encoded.reveal(), validate=True)
        key = load_pem_private_key(pem, password=None)
    except (binascii.Error, ValueError, TypeError):
        raise GitHubConfigError("GitHub App private key is not a base64-encoded PEM private key") from None
    Secret(pem.decode("ascii", errors="replace"))
    return key


class AppAuth:
    def __init__(
        self,
        config: GitHubAppConfig,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        after_write: AfterWrite | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.config = config
        self._key = load_private_key(config.private_key_b64)
        self._clock = clock
        self._lock = threading.Lock()
        self._installations: dict[str, str] = {}
        self._tokens: dict[str, tuple[Secret, float]] = {}
        self.token_requests = 0
        self.http = HttpClient(
            config.api_url,
            "github-app",
            policy,
            headers=lambda: {**GITHUB_HEADERS, "Authorization": f"Bearer {self.app_jwt()}"},
            pacing=pacing,
        )
        del after_write  # app endpoints change nothing in repositories

    def app_jwt(self) -> str:
        now = int(self._clock())
        payload = {"iat": now - JWT_BACKDATE, "exp": now + JWT_LIFETIME, "iss": str(self.config.app_id)}
        import jwt  # with load_private_key: loaded only when a GitHub App acts

        token = jwt.encode(payload, self._key, algorithm="RS256")
        Secret(token)
        return token

    def installation_id(self, repo: str) -> str:
        if self.config.installation_id:
            return self.config.installation_id
        with self._lock:
            if repo not in self._installations:
                body = self.http.request("GET", repo_path(repo, "installation")).json()
                self._installations[repo] = str(body["id"])
            return self._installations[repo]

    def token(self, repo: str) -> str:
        """An installation token for ``repo``'s installation (cached until 5 min before expiry)."""
        installation = self.installation_id(repo)
        with self._lock:
            cached = self._tokens.get(installation)
            if cached and cached[1] - self._clock() > TOKEN_REFRESH_MARGIN:
                return cached[0].reveal()
            body = self.http.request(
                "POST", f"/app/installations/{segment(installation)}/access_tokens", safe=True, read=True
            ).json()
            self.token_requests += 1
            expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00")).timestamp()
            secret = Secret(str(body["token"]))
            self._tokens[installation] = (secret, expires)
            return secret.reveal()
