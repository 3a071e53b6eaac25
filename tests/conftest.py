"""Shared fixtures: a real moto server (server mode) with the project's resources."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import dagster as dg
import pytest

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.fakes.jira import JiraFake
from opsrunbook_dagster.fakes.teams import TeamsFake
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.postgres import PostgresServer, PostgresUnavailable, throwaway_postgres
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
    names = ResourceNames.derive(prefix, evidence_bucket=f"{prefix}evidence")
    ensure_resources(aws, names, seed_ssm=False)
    return names


def aws_resource(sandbox: SandboxServer, prefix: str) -> OpsRunbookAws:
    """The Dagster AWS resource pointed at the tables and bucket :func:`isolated` made for ``prefix``."""
    return OpsRunbookAws(
        endpoint_url=sandbox.endpoint_url, table_prefix=prefix, evidence_bucket=f"{prefix}evidence"
    )


@pytest.fixture(scope="module")
def deps(aws: AwsTarget, request: pytest.FixtureRequest) -> PipelineDeps:
    """Stores on the tables of the requesting module's own ``PREFIX`` (a module may define its own)."""
    return PipelineDeps(target=aws, names=isolated(aws, request.module.PREFIX))


@pytest.fixture
def resource(sandbox: SandboxServer, request: pytest.FixtureRequest) -> OpsRunbookAws:
    """The Dagster AWS resource on the same tables as ``deps``."""
    return aws_resource(sandbox, request.module.PREFIX)


def tamper(deps: PipelineDeps, key: str, body: bytes) -> None:
    """Overwrite a stored object behind the write-once store's back, as an attacker with bucket access would."""
    deps.client("s3").put_object(Bucket=deps.names.evidence_bucket, Key=key, Body=body)


# ---- Dagster instance storage: SQLite (the local default) and PostgreSQL (production) -------------

#: Instance storages a test parametrized by ``instance_storage`` runs on.
STORAGES = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """$OPSRUNBOOK_TEST_POSTGRES_URL, else a throwaway server for the session; skips without PostgreSQL."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(throwaway_postgres())
        except PostgresUnavailable as exc:
            pytest.skip(f"Postgres storage variant: {exc}")
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A fresh database of this test's own on the session's server."""
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    return postgres_server.create_database(f"t_{digest}")


@pytest.fixture(scope="module", params=STORAGES)
def instance_storage(request: pytest.FixtureRequest) -> str:
    """Runs the requesting module's tests once per instance storage (grouped, module by module)."""
    storage = str(request.param)
    if storage == "postgres":
        request.getfixturevalue("postgres_server")  # skips the variant without PostgreSQL
    return storage


@pytest.fixture
def storage_config(instance_storage: str, request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """The dagster.yaml ``storage:`` section for this test: None keeps the default (SQLite files in
    DAGSTER_HOME); Postgres gets a fresh database per test."""
    if instance_storage == "sqlite":
        return None
    return {"postgres": {"postgres_url": request.getfixturevalue("postgres_url")}}


@pytest.fixture
def instance(storage_config: dict[str, Any] | None) -> Iterator[dg.DagsterInstance]:
    """A persistent instance (dagster.yaml in a temporary DAGSTER_HOME) on this test's storage."""
    overrides = {"storage": storage_config} if storage_config else None
    with dg.instance_for_test(overrides=overrides) as instance:
        yield instance


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
