"""Shared fixtures: a real moto server (server mode) with the project's resources."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.fakes.jira import JiraFake
from opsrunbook_dagster.fakes.teams import TeamsFake
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """One moto server for the session, on a free port, stopped at the end."""
    # The sandbox and the fakes speak plain http on 127.0.0.1: allowed only with this local flag.
    os.environ.setdefault("OPSRUNBOOK_ALLOW_LOOPBACK_HTTP", "true")
    server = SandboxServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def aws(sandbox: SandboxServer) -> AwsTarget:
    target = AwsTarget(endpoint_url=sandbox.endpoint_url)
    ensure_resources(target, ResourceNames())
    return target


def isolated(aws: AwsTarget, prefix: str) -> ResourceNames:
    """Tables (and bucket) of their own for one test module, on the shared server."""
    names = ResourceNames.from_env(
        {"OPSRUNBOOK_TABLE_PREFIX": prefix, "OPSRUNBOOK_EVIDENCE_BUCKET": f"{prefix}evidence"}
    )
    ensure_resources(aws, names, seed_ssm=False)
    return names


# ---- local HTTP fakes of Jira, Teams and GitHub (fresh state per test, free ports) --------------


@pytest.fixture
def jira_fake() -> Iterator[FakeServer]:
    from tests.actions_support import JIRA_EMAIL, JIRA_TOKEN

    with FakeServer(JiraFake(JIRA_EMAIL, JIRA_TOKEN)) as server:
        yield server


@pytest.fixture
def teams_fake() -> Iterator[FakeServer]:
    from tests.actions_support import TEAMS_SIG

    with FakeServer(TeamsFake(TEAMS_SIG)) as server:
        yield server


@pytest.fixture
def github_fake() -> Iterator[FakeServer]:
    with FakeServer(GitHubFake()) as server:
        yield server
