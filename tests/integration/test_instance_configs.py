"""infra/dagster.yaml.production and its ECS variant load against a real PostgreSQL and the sandbox."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import psycopg2
import pytest
import yaml
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.defs.incidents.sensors import INCIDENT_TAG
from opsrunbook_dagster.sandbox.postgres import libpq_url
from opsrunbook_dagster.sandbox.server import SandboxServer

pytestmark = pytest.mark.integration
INFRA = Path(__file__).resolve().parents[2] / "infra"
PRODUCTION = INFRA / "dagster.yaml.production"
ECS = INFRA / "dagster.yaml.production-ecs"
LOG_BUCKET = "instance-config-compute-logs"
TASK_FAMILY = "opsrunbook-run"


def _parsed(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def production_env(
    sandbox: SandboxServer, aws: AwsTarget, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The environment a deployment gives the instance: a Postgres database, a log bucket, AWS."""
    url = urlsplit(postgres_url)
    env = {
        **client_env(sandbox.endpoint_url),
        "DAGSTER_PG_HOST": url.hostname or "",
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_USER": url.username or "",
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_DB": url.path.lstrip("/"),
        "OPSRUNBOOK_COMPUTE_LOG_BUCKET": LOG_BUCKET,
        "OPSRUNBOOK_COMPUTE_LOG_PREFIX": "compute-logs",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s3 = aws.client("s3")
    if LOG_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=LOG_BUCKET)
    yield postgres_url


def _load(config: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    home.mkdir()
    shutil.copy(config, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.get()


def _stored_run_ids(postgres_url: str) -> set[str]:
    conn = psycopg2.connect(libpq_url(postgres_url))
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT run_id FROM runs")
            return {row[0] for row in cursor.fetchall()}
    finally:
        conn.close()


@dg.op
def say_hello() -> None:
    print("hello from the production instance")


@dg.job
def hello() -> None:
    say_hello()


def test_production_instance_stores_runs_in_postgres_and_logs_in_s3(
    production_env: str, aws: AwsTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _load(PRODUCTION, tmp_path / "home", monkeypatch) as instance:
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
        assert type(instance.run_launcher) is dg.DefaultRunLauncher
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
        assert instance.run_monitoring_enabled and instance.run_monitoring_max_runtime_seconds == 3600
        result = hello.execute_in_process(instance=instance)
        assert result.success
    assert result.run_id in _stored_run_ids(production_env)  # in the Postgres database, not a file
    logs = aws.client("s3").list_objects_v2(Bucket=LOG_BUCKET, Prefix="compute-logs/")
    assert any(result.run_id in obj["Key"] for obj in logs.get("Contents", [])), logs.get("Contents")


def test_ecs_instance_constructs_its_launcher_from_the_task_definition(
    production_env: str, aws: AwsTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered = aws.client("ecs").register_task_definition(
        family=TASK_FAMILY,
        containerDefinitions=[{"name": "run", "image": "opsrunbook:test", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    monkeypatch.setenv("OPSRUNBOOK_RUN_TASK_DEFINITION", TASK_FAMILY)
    with _load(ECS, tmp_path / "home", monkeypatch) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        assert launcher.task_definition == registered  # resolved by describing it in (local) ECS
        assert launcher.container_name == "run"
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)


def test_the_two_production_configs_differ_only_in_the_launcher() -> None:
    default, ecs = _parsed(PRODUCTION), _parsed(ECS)
    assert default.pop("run_launcher") != ecs.pop("run_launcher")
    assert default == ecs


def test_runs_of_one_incident_are_limited_per_incident_id() -> None:
    """The coordinator's per-incident limit names the tag the incident sensor puts on every run."""
    config = _parsed(PRODUCTION)
    assert config["telemetry"] == {"enabled": False}
    limits = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": INCIDENT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


@pytest.mark.parametrize("path", [INFRA / "dagster.yaml", PRODUCTION, ECS], ids=lambda p: p.name)
def test_every_instance_evaluates_sensors_in_threads(path: Path) -> None:
    """The request sensor's tick keeps looking for up to OPSRUNBOOK_SENSOR_WAIT_SECONDS; in the
    daemon's own thread that wait would hold up every other sensor."""
    assert _parsed(path)["sensors"]["use_threads"] is True
