"""GitHub REST calls the PR action needs, authenticated as a GitHub App installation."""

from __future__ import annotations

import base64
import threading
from typing import Any

from opsrunbook_dagster.clients.github_app import GITHUB_HEADERS, AppAuth
from opsrunbook_dagster.clients.http import AfterWrite, HttpClient, HttpError, Pacing, RetryPolicy
from opsrunbook_dagster.clients.paths import UnsafePathError, check_path, nested, repo_path


class GitHubClient:
    def __init__(
        self,
        auth: AppAuth,
        policy: RetryPolicy | None = None,
        after_write: AfterWrite | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.auth = auth
        self.pacing = pacing
        self.policy = policy
        self.after_write = after_write
        self._clients: dict[str, HttpClient] = {}
        self._lock = threading.Lock()

    def http(self, repo: str) -> HttpClient:
        repo_path(repo)  # a repository name, never a path (raises UnsafePathError)
        with self._lock:
            if repo not in self._clients:
                self._clients[repo] = HttpClient(
                    self.auth.config.api_url,
                    "github",
                    self.policy,
                    headers=lambda: {**GITHUB_HEADERS, "Authorization": f"Bearer {self.auth.token(repo)}"},
                    after_write=self.after_write,
                    pacing=self.pacing,
                )
            return self._clients[repo]

    def send(
        self, repo: str, request: dict[str, Any], *, safe: bool | None = None, expect: tuple[int, ...] = ()
    ) -> Any:
        path = str(request["path"])
        check_path(path)
        if not path.startswith(repo_path(repo) + "/"):
            raise UnsafePathError(f"{path[:200]!r} is not under {repo_path(repo)}")
        response = self.http(repo).request(
            request["method"], path, json=request.get("json"), safe=safe, expect=expect
        )
        return response.json() if response.content else None

    def repository(self, repo: str) -> dict[str, Any]:
        body: dict[str, Any] = self.http(repo).request("GET", repo_path(repo)).json()
        return body

    def branch_sha(self, repo: str, branch: str) -> str | None:
        response = self.http(repo).request(
            "GET", f"{repo_path(repo, 'git', 'ref', 'heads')}/{nested(branch)}", expect=(404,)
        )
        return None if response.status_code == 404 else str(response.json()["object"]["sha"])

    def create_branch(self, repo: str, branch: str, sha: str) -> bool:
        """True if created; False if it already existed (a 422 from a concurrent or earlier attempt)."""
        path = repo_path(repo, "git", "refs")
        body = {"ref": f"refs/heads/{branch}", "sha": sha}
        response = self.http(repo).request("POST", path, json=body, safe=True, expect=(422,))
        if response.status_code == 422:
            if "already exists" in response.text:
                return False
            raise HttpError(
                "http_422",
                f"POST github/repos/{repo}/git/refs -> HTTP 422: {response.text[:300]}",
                ambiguous=False,
                status=422,
            )
        return True

    def file(self, repo: str, path: str, ref: str | None = None) -> tuple[str, bytes] | None:
        """``(blob sha, content)`` of a file, or None."""
        params = {"ref": ref} if ref else None
        response = self.http(repo).request(
            "GET", f"{repo_path(repo, 'contents')}/{nested(path)}", params=params, expect=(404,)
        )
        if response.status_code == 404:
            return None
        body = response.json()
        if not isinstance(body, dict) or body.get("type") != "file":
            return None
        return str(body["sha"]), base64.b64decode(body.get("content", ""))

    def exists(self, repo: str, path: str) -> bool:
        return self.file(repo, path) is not None

    def open_pulls(self, repo: str, branch: str) -> list[dict[str, Any]]:
        owner = repo.split("/")[0]
        response = self.http(repo).request(
            "GET", repo_path(repo, "pulls"), params={"head": f"{owner}:{branch}", "state": "open"}
        )
        return list(response.json())
