"""The three fakes together (``opsrunbook fakes up``, ``opsrunbook demo --live-actions``), with
throwaway credentials and the environment a client needs to use them."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.fakes.jira import JiraFake
from opsrunbook_dagster.fakes.teams import TeamsFake

DEFAULT_PORTS = {"jira": 8081, "teams": 8082, "github": 8083}


def _free_or(port: int, host: str) -> int:
    """``port`` if nothing listens there, else 0 (any free port)."""
    if port == 0:
        return 0
    with socket.socket() as sock:
        return port if sock.connect_ex((host, port)) != 0 else 0


def repos_from_map(path: Path) -> list[str]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    repos = [str(r["repo"]) for r in data.get("rules") or []] + [str(r) for r in data.get("repos") or []]
    return sorted(set(repos))


@dataclass
class FakeStack:
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    repos: list[str] = field(default_factory=list)
    email: str = "opsrunbook@example.com"
    jira_token: str = field(default_factory=lambda: "fake-" + secrets.token_hex(12))
    teams_sig: str = field(default_factory=lambda: secrets.token_hex(16))
    servers: dict[str, FakeServer] = field(default_factory=dict)

    def start(self) -> FakeStack:
        github = GitHubFake()
        for repo in self.repos:
            github.add_repo(repo, {"README.md": f"# {repo}\n"})
        apps = {
            "jira": JiraFake(self.email, self.jira_token),
            "teams": TeamsFake(self.teams_sig),
            "github": github,
        }
        for name, app in apps.items():
            self.servers[name] = FakeServer(
                app, self.host, _free_or(self.ports.get(name, 0), self.host)
            ).start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    @property
    def github(self) -> GitHubFake:
        app = self.servers["github"].app
        assert isinstance(app, GitHubFake)
        return app

    def urls(self) -> dict[str, str]:
        return {
            "jira": self.servers["jira"].url,
            "teams": f"{self.servers['teams'].url}/workflows/opsrunbook",
            "github": self.servers["github"].url,
        }

    def env(self) -> dict[str, str]:
        """What the live clients read (local, throwaway credentials of these fakes only)."""
        return {
            "JIRA_BASE_URL": self.servers["jira"].url,
            "JIRA_EMAIL": self.email,
            "JIRA_API_TOKEN": self.jira_token,
            "JIRA_PROJECT_KEY": "OPS",
            "TEAMS_WEBHOOK_URL": f"{self.urls()['teams']}?sig={self.teams_sig}",
            "GITHUB_API_URL": self.servers["github"].url,
            "GITHUB_APP_ID": self.github.app_id,
            "GITHUB_APP_PRIVATE_KEY_B64": self.github.private_key_b64,
        }

    def __enter__(self) -> FakeStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
