"""Jira Cloud REST v3 client (Basic auth: account email + API token)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from opsrunbook_dagster.clients.http import AfterWrite, HttpClient, Pacing, RetryPolicy
from opsrunbook_dagster.clients.paths import segment
from opsrunbook_dagster.clients.secrets import Secret


@dataclass(frozen=True)
class JiraConfig:
    base_url: str
    email: str
    api_token: Secret
    project_key: str = "OPS"
    issue_type: str = "Incident"


class JiraClient:
    def __init__(
        self,
        config: JiraConfig,
        policy: RetryPolicy | None = None,
        after_write: AfterWrite | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.config = config
        basic = base64.b64encode(f"{config.email}:{config.api_token.reveal()}".encode()).decode("ascii")
        auth = Secret(f"Basic {basic}")
        Secret(basic)
        self.http = HttpClient(
            config.base_url,
            "jira",
            policy,
            headers=lambda: {"Authorization": auth.reveal()},
            after_write=after_write,
            pacing=pacing,
        )

    def browse_url(self, key: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/browse/{segment(key)}"

    def send(self, request: dict[str, Any], *, read: bool = False, safe: bool | None = None) -> Any:
        """Send a rendered request (``method``/``path``/``json``); returns the decoded JSON body."""
        response = self.http.request(
            request["method"], request["path"], json=request.get("json"), read=read, safe=safe
        )
        return response.json() if response.content else None

    def search(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """``POST /rest/api/3/search/jql`` (a read, so retried like a GET)."""
        body = self.send(request, read=True, safe=True)
        return list(body.get("issues", [])) if isinstance(body, dict) else []

    def comments(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        response = self.http.request(
            "GET",
            f"/rest/api/3/issue/{segment(key)}/comment",
            params={"orderBy": "-created", "maxResults": str(limit)},
        )
        return list(response.json().get("comments", []))

    def set_fs_label(self, key: str, add: str, remove: list[str]) -> None:
        """Replace the finding-set labels (``PUT`` with label operations is idempotent)."""
        operations = [{"remove": label} for label in remove if label != add] + [{"add": add}]
        self.http.request("PUT", f"/rest/api/3/issue/{segment(key)}", json={"update": {"labels": operations}})

    def attachments(self, key: str) -> list[dict[str, Any]]:
        """The issue's attachments (``GET …/issue/{key}?fields=attachment``)."""
        response = self.http.request(
            "GET", f"/rest/api/3/issue/{segment(key)}", params={"fields": "attachment"}
        )
        return list((response.json().get("fields") or {}).get("attachment") or [])

    def attach(self, key: str, filename: str, body: bytes, content_type: str = "image/png") -> Any:
        """``POST …/attachments``: multipart ``file``, with the XSRF opt-out header Jira requires.
        Not retried after an ambiguous failure: the caller looks before it writes again."""
        response = self.http.request(
            "POST",
            f"/rest/api/3/issue/{segment(key)}/attachments",
            files={"file": (filename, body, content_type)},
            headers={"X-Atlassian-Token": "no-check"},
        )
        return response.json() if response.content else None
