"""A rolling deploy: two real `dagster-daemon run` processes on one Dagster instance (PostgreSQL
storage) and one request table. Every request row gets exactly one run and one packet."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import prepare_dagster_home
from opsrunbook_dagster.defs.run_queue import RUN_KEY_TAG
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.server import SandboxServer
from opsrunbook_dagster.stores.keys import packet_key
from tests.conftest import isolated
from tests.factories import incident_event
from tests.integration.daemon_support import DaemonProcess

pytestmark = pytest.mark.integration
PREFIX = "twodaemons-"
SENSOR = "incident_request_sensor"
#: Rows written before the daemons see any, and rows written one by one while both tick.
AT_ONCE, TRICKLED = 4, 4
TIMEOUT_SECONDS = 240


def _event(n: int) -> IncidentEventV1:
    """A request with a recent window and little to collect (the runs stay cheap)."""
    end = datetime.now(UTC).replace(microsecond=0)
    window = {"start": (end - timedelta(minutes=15)).isoformat(), "end": end.isoformat()}
    hints = {"log_groups": ["/aws/lambda/two-daemons-svc"]}
    doc = incident_event(event_id=f"two-daemons-evt-{n:04d}", time_window=window, hints=hints)
    return IncidentEventV1.model_validate(doc)


def _wait_for_runs(deps: PipelineDeps, events: list[IncidentEventV1], daemons: list[DaemonProcess]) -> dict:  # type: ignore[type-arg]
    """Every incident run row once it has ended (or the deadline passed): {event_id: status}."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        statuses = {
            e.event_id: (deps.incidents.run(e.resolved_incident_id, e.run_id) or {}).get("status")
            for e in events
        }
        ended = all(s in ("SUCCEEDED", "FAILED", "CANCELED", "REJECTED") for s in statuses.values())
        died = [d.log for d in daemons if d.process is None or d.process.poll() is not None]
        if ended or died or time.monotonic() > deadline:
            assert not died, f"a daemon exited: see {died}"
            return statuses
        time.sleep(1)


def _ended_runs(instance: dg.DagsterInstance, expected: int) -> list[dg.DagsterRun]:
    """The incident runs once ``expected`` of them have ended (or after 60 s, as they are)."""
    deadline = time.monotonic() + 60
    while True:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="incident_job"))
        if sum(run.is_finished for run in runs) >= expected or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


def _ticked_within(daemon: DaemonProcess, seconds: float, after: int) -> bool:
    try:
        daemon.wait_for_tick(SENSOR, timeout=seconds, after=after)
    except RuntimeError:
        return False
    return True


def _start_out_of_phase(daemons: list[DaemonProcess], attempts: int = 6) -> None:
    """Start both daemons so that both evaluate the request sensor.

    Each sensor daemon loops every 5 s and skips a sensor whose last tick (by either daemon, in the
    shared instance) is under its 1 s minimum interval: a daemon whose loop runs less than 1 s after
    the other's never ticks it (CI beside a CPU hog: daemon 2 ticked only the 10 s sensors for 90 s).
    Where a loop falls is set by start-up time, so before any request exists the second daemon is
    restarted until each daemon has ticked the request sensor after the other started."""
    first, second = daemons
    first.start()
    first.wait_for_tick(SENSOR, timeout=90)
    for _ in range(attempts):
        second.start()
        second.wait_for_tick("", timeout=90)  # up: its sensor loop ticks some sensor
        if _ticked_within(second, 20, 0) and _ticked_within(first, 20, first.ticks(SENSOR)):
            return
        second.stop()
        second.log.unlink()
    raise AssertionError(f"the two daemons' sensor loops stayed in phase after {attempts} restarts")


def test_two_daemon_processes_give_each_request_one_run_and_one_packet(
    sandbox: SandboxServer,
    aws: AwsTarget,
    tmp_path: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = isolated(aws, PREFIX)
    deps = PipelineDeps(target=aws, names=names)
    env = {
        **os.environ,
        **client_env(sandbox.endpoint_url),
        "OPSRUNBOOK_TABLE_PREFIX": PREFIX,
        "OPSRUNBOOK_EVIDENCE_BUCKET": names.evidence_bucket,
        # each daemon counts the runs in flight on the shared instance; few at once on a small machine
        "OPSRUNBOOK_MAX_CONCURRENT_RUNS": "4",
    }
    home = tmp_path / "dagster_home"
    prepare_dagster_home(home, env, {"postgres": {"postgres_url": postgres_url}})
    daemons = [DaemonProcess(home, env, tmp_path / f"daemon-{n}.log") for n in (1, 2)]
    events = [_event(n) for n in range(AT_ONCE + TRICKLED)]
    try:
        _start_out_of_phase(daemons)
        before = [d.ticks(SENSOR) for d in daemons]

        def trickle() -> None:
            for event in events[AT_ONCE:]:
                assert deps.requests.submit(event).created
                time.sleep(0.3)

        writer = threading.Thread(target=trickle)
        for event in events[:AT_ONCE]:
            assert deps.requests.submit(event).created
        writer.start()
        writer.join()
        statuses = _wait_for_runs(deps, events, daemons)
        # Both daemons evaluate the sensor over these rows. Which one wins each interval is Dagster's
        # choice (CI once saw 6 ticks to 0 while the rows waited), so a daemon that has not ticked
        # since the rows were written gets its turn now: it sees every row claimed and must not
        # request a second run (checked below by run key and run-worker count).
        for daemon, baseline in zip(daemons, before, strict=True):
            daemon.wait_for_tick(SENSOR, timeout=90, after=baseline)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.get() as instance:
            # the last asset writes the row's SUCCEEDED before its run worker reports the run's end;
            # the workers are the daemons' children: stopping a daemon first would kill a finishing run
            _ended_runs(instance, len(events))
    finally:
        for daemon in daemons:
            daemon.stop()

    assert set(statuses.values()) == {"SUCCEEDED"}, statuses

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="incident_job"))
        failures = {
            run.run_id: [e.message for e in instance.all_logs(run.run_id)][-5:]
            for run in runs
            if run.status != dg.DagsterRunStatus.SUCCESS
        }
        # the daemons resume each other's sensor ticks ("interrupted part-way through") and submit the
        # same run again; Dagster must skip that launch: one run worker per run
        workers = {
            run.run_id: sum(
                e.message.startswith("Started process for run") for e in instance.all_logs(run.run_id)
            )
            for run in runs
        }
    assert set(workers.values()) == {1}, workers
    expected = {partition_key(e.resolved_incident_id, e.run_id) for e in events}
    per_key = Counter(run.tags.get(RUN_KEY_TAG) for run in runs)
    assert per_key == Counter({key: 1 for key in expected}), per_key
    assert failures == {}

    listed = deps.client("s3").list_objects_v2(Bucket=names.evidence_bucket, Prefix="packets/")
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(
        packet_key(e.resolved_incident_id, e.run_id) for e in events
    )
    assert deps.requests.pending() == []
    rows = [deps.requests.get(f"EVENT#{e.event_id}", fields=("status", "queue")) for e in events]
    assert all(r is not None and r.status == "SUCCEEDED" and "queue" not in r.raw for r in rows), rows
