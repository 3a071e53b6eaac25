"""ForkserverRunLauncher on a real (temporary) instance: runs finish, cancel, fail to load, die."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from opsrunbook_dagster.run_launcher import ForkserverRunLauncher
from opsrunbook_dagster.run_worker import CLAIM_PREFIX, WORKER_TAG, release_forkserver, source_fingerprint

pytestmark = pytest.mark.integration


class MarkerConfig(dg.Config):
    path: str


@dg.op
def write_marker(config: MarkerConfig) -> None:
    Path(config.path).write_text(str(os.getpid()), encoding="utf-8")


@dg.op
def sleep_long() -> None:
    time.sleep(60)


@dg.op
def append_pid(config: MarkerConfig) -> None:
    with open(config.path, "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\n")


@dg.op
def leave_a_process_behind(config: MarkerConfig) -> None:
    """Start a process that outlives the run and keeps every inherited file descriptor."""
    left = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], close_fds=False)
    Path(config.path).write_text(str(left.pid), encoding="utf-8")


@dg.op
def write_preloaded_value(config: MarkerConfig) -> None:
    import preloaded_pkg  # type: ignore[import-not-found]  # preloaded by the forkserver in the test below

    Path(config.path).write_text(str(preloaded_pkg.VALUE), encoding="utf-8")


@dg.op
def write_instance_origin(context: dg.OpExecutionContext, config: MarkerConfig) -> None:
    from opsrunbook_dagster import run_worker

    warm = run_worker._warm  # the instance the forkserver opened, if any
    origin = "forkserver" if warm is not None and context.instance is warm[1] else "own"
    Path(config.path).write_text(origin, encoding="utf-8")


@dg.job(executor_def=dg.in_process_executor)
def instance_origin_job() -> None:
    write_instance_origin()


@dg.job(executor_def=dg.in_process_executor)
def preloaded_value_job() -> None:
    write_preloaded_value()


@dg.job(executor_def=dg.in_process_executor)
def leaky_job() -> None:
    leave_a_process_behind()


@dg.job(executor_def=dg.in_process_executor)
def append_pid_job() -> None:
    append_pid()


@dg.job(executor_def=dg.in_process_executor)
def marker_job() -> None:
    write_marker()


@dg.job(executor_def=dg.in_process_executor)
def slow_job() -> None:
    sleep_long()


def _instance(home: Path, idle_shutdown_seconds: float, preload: str = "pydantic") -> DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(
        "run_launcher:\n"
        "  module: opsrunbook_dagster.run_launcher\n"
        "  class: ForkserverRunLauncher\n"
        "  config:\n"
        f"    preload_modules: [{preload}]\n"
        f"    idle_shutdown_seconds: {idle_shutdown_seconds}\n"
        "telemetry:\n  enabled: false\n",
        encoding="utf-8",
    )
    return DagsterInstance.from_config(str(home))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    with _instance(tmp_path, idle_shutdown_seconds=0) as inst:
        yield inst


def _launch(
    instance: DagsterInstance,
    job: dg.JobDefinition,
    run_config: dict | None = None,
    origin_name: str | None = None,
) -> str:
    origin = dg.reconstructable(job).get_python_origin()
    if origin_name is not None:  # a code origin whose job does not exist
        origin = origin._replace(job_name=origin_name)
    run = instance.create_run_for_job(job_def=job, run_config=run_config, job_code_origin=origin)
    instance.launch_run(run.run_id, workspace=None)  # type: ignore[arg-type]
    return run.run_id


def _wait(instance: DagsterInstance, run_id: str, statuses: set[DagsterRunStatus], timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        if run.status in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} stayed {run.status}")


def test_launcher_is_configured_from_dagster_yaml(instance: DagsterInstance) -> None:
    assert isinstance(instance.run_launcher, ForkserverRunLauncher)
    assert "dagster" in instance.run_launcher._preload and "pydantic" in instance.run_launcher._preload


def _marker_config(path: Path) -> dict:
    return {"ops": {"write_marker": {"config": {"path": str(path)}}}}


def test_run_executes_in_a_forked_worker(instance: DagsterInstance, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    run_id = _launch(instance, marker_job, _marker_config(marker))
    run = _wait(instance, run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE})
    assert run.status == DagsterRunStatus.SUCCESS
    worker_pid = int(marker.read_text(encoding="utf-8"))
    assert run.tags[WORKER_TAG].split(":")[0] == str(worker_pid)
    assert worker_pid != os.getpid()
    messages = [e.message for e in instance.all_logs(run_id)]
    assert f"Started process for run (pid: {worker_pid})." in messages


def test_workers_reuse_the_instance_the_forkserver_opened(tmp_path: Path) -> None:
    """The forkserver opens the launcher's instance once; a worker of another instance (a forkserver
    started by an earlier launcher) opens its own."""
    release_forkserver()  # start one for this instance
    config = {"ops": {"write_instance_origin": {"config": {"path": ""}}}}
    origins = []
    with _instance(tmp_path / "a", idle_shutdown_seconds=0) as first:
        for marker in (tmp_path / "one", tmp_path / "two"):
            config["ops"]["write_instance_origin"]["config"]["path"] = str(marker)
            assert _succeeds(first, _launch(first, instance_origin_job, config))
            origins.append(marker.read_text(encoding="utf-8"))
    with _instance(tmp_path / "b", idle_shutdown_seconds=0) as second:  # same forkserver, other instance
        config["ops"]["write_instance_origin"]["config"]["path"] = str(tmp_path / "three")
        assert _succeeds(second, _launch(second, instance_origin_job, config))
        origins.append((tmp_path / "three").read_text(encoding="utf-8"))
        assert second.get_run_records()[0].dagster_run.status == DagsterRunStatus.SUCCESS
    assert origins == ["forkserver", "forkserver", "own"]


def test_terminate_cancels_the_run(instance: DagsterInstance) -> None:
    run_id = _launch(instance, slow_job)
    _wait(instance, run_id, {DagsterRunStatus.STARTED})
    time.sleep(0.5)  # inside the op
    assert instance.run_launcher.terminate(run_id) is True
    run = _wait(
        instance, run_id, {DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE, DagsterRunStatus.SUCCESS}
    )
    assert run.status == DagsterRunStatus.CANCELED
    assert instance.run_launcher.terminate(run_id) is False  # finished runs are left alone


def test_job_that_does_not_load_fails_the_run_with_the_reason(instance: DagsterInstance) -> None:
    run_id = _launch(instance, marker_job, _marker_config(Path("unused")), origin_name="no_such_job")
    run = _wait(instance, run_id, {DagsterRunStatus.FAILURE, DagsterRunStatus.SUCCESS})
    assert run.status == DagsterRunStatus.FAILURE
    messages = " ".join(e.message or "" for e in instance.all_logs(run_id))
    assert "Could not load job definition." in messages


def test_health_check_reports_a_dead_worker(instance: DagsterInstance) -> None:
    from dagster._core.launcher import WorkerStatus

    run_id = _launch(instance, slow_job)
    run = _wait(instance, run_id, {DagsterRunStatus.STARTED})
    launcher = instance.run_launcher
    assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    pid_text, _, started = run.tags[WORKER_TAG].partition(":")
    # the same pid with another start time is another process (pid reuse): not our worker
    reused = run.with_tags({**run.tags, WORKER_TAG: f"{pid_text}:{int(started) + 1}"})
    assert launcher.check_run_worker_health(reused).status == WorkerStatus.FAILED
    os.kill(int(pid_text), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while launcher.check_run_worker_health(run).status != WorkerStatus.FAILED:
        assert time.monotonic() < deadline, "a killed worker still reads as running"
        time.sleep(0.1)


def _succeeds(instance: DagsterInstance, run_id: str) -> bool:
    return _wait(instance, run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}).status == (
        DagsterRunStatus.SUCCESS
    )


def _wait_until_let_go(launcher: ForkserverRunLauncher, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while launcher.forkserver_running:
        assert time.monotonic() < deadline, "the forkserver outlived its idle timeout"
        time.sleep(0.2)


def test_idle_forkserver_is_stopped_and_restarted_on_the_next_run(tmp_path: Path) -> None:
    with _instance(tmp_path, idle_shutdown_seconds=1) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, ForkserverRunLauncher)
        first = _launch(instance, marker_job, _marker_config(tmp_path / "one"))
        assert launcher.forkserver_running
        assert _succeeds(instance, first)
        _wait_until_let_go(launcher, 15)
        second = _launch(instance, marker_job, _marker_config(tmp_path / "two"))
        assert _succeeds(instance, second)
        assert (tmp_path / "two").exists()


def test_terminating_a_run_whose_worker_is_gone_cancels_it(instance: DagsterInstance) -> None:
    run_id = _launch(instance, slow_job)
    run = _wait(instance, run_id, {DagsterRunStatus.STARTED})
    os.kill(int(run.tags[WORKER_TAG].split(":")[0]), signal.SIGKILL)
    time.sleep(0.5)
    assert instance.run_launcher.terminate(run_id) is True
    assert _wait(instance, run_id, {DagsterRunStatus.CANCELED}).status == DagsterRunStatus.CANCELED


def test_idle_shutdown_never_blocks_the_next_launch(tmp_path: Path) -> None:
    """A process left behind by a run must not make the next launch wait for it: the next run ends
    while the left-behind process (2 minutes of sleep) still runs."""
    left_pid = tmp_path / "left-behind"
    with _instance(tmp_path, idle_shutdown_seconds=1) as instance:
        launcher = instance.run_launcher
        config = {"ops": {"leave_a_process_behind": {"config": {"path": str(left_pid)}}}}
        assert _succeeds(instance, _launch(instance, leaky_job, config))
        left = int(left_pid.read_text(encoding="utf-8"))
        try:
            _wait_until_let_go(launcher, 15)
            nxt = _launch(instance, marker_job, _marker_config(tmp_path / "next"))
            assert _succeeds(instance, nxt)
            os.kill(left, 0)  # still there: nothing waited for it
        finally:
            os.kill(left, signal.SIGKILL)


def test_a_worker_that_finds_an_earlier_claim_does_not_execute_the_run(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    """Another daemon's worker claimed the run first: this one leaves it alone."""
    marker = tmp_path / "pids"
    run = instance.create_run_for_job(
        job_def=append_pid_job,
        run_config={"ops": {"append_pid": {"config": {"path": str(marker)}}}},
        job_code_origin=dg.reconstructable(append_pid_job).get_python_origin(),
    )
    instance.report_engine_event(f"{CLAIM_PREFIX}1:elsewhere", run)
    instance.launch_run(run.run_id, workspace=None)  # type: ignore[arg-type]
    deadline = time.monotonic() + 60
    while not any(m.startswith("Ignoring a duplicate run worker") for m in _messages(instance, run.run_id)):
        assert time.monotonic() < deadline, _messages(instance, run.run_id)
        time.sleep(0.2)
    assert not marker.exists()
    assert not any(m.startswith("Started process for run") for m in _messages(instance, run.run_id))
    stored = instance.get_run_by_id(run.run_id)
    assert stored is not None and WORKER_TAG not in stored.tags


def test_two_launchers_of_one_run_execute_it_once(tmp_path: Path) -> None:
    """Two daemons' launchers (each with its own forkserver) launch the same run at once."""
    marker = tmp_path / "pids"
    with (
        _instance(tmp_path, idle_shutdown_seconds=0) as one,
        _instance(tmp_path, idle_shutdown_seconds=0) as two,
    ):
        run = one.create_run_for_job(
            job_def=append_pid_job,
            run_config={"ops": {"append_pid": {"config": {"path": str(marker)}}}},
            job_code_origin=dg.reconstructable(append_pid_job).get_python_origin(),
        )
        launches = [threading.Thread(target=i.launch_run, args=(run.run_id, None)) for i in (one, two)]
        for launch in launches:
            launch.start()
        for launch in launches:
            launch.join()
        assert _succeeds(one, run.run_id)
        deadline = time.monotonic() + 60
        while (
            sum(m.startswith(("Ignoring a duplicate", "Started process")) for m in _messages(one, run.run_id))
            < 2
        ):
            assert time.monotonic() < deadline, _messages(one, run.run_id)
            time.sleep(0.2)
        messages = _messages(one, run.run_id)
    assert len(marker.read_text(encoding="utf-8").split()) == 1
    assert sum(m.startswith("Started process for run") for m in messages) == 1
    assert sum(m.startswith(CLAIM_PREFIX) for m in messages) == 2


def _messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [e.message for e in instance.all_logs(run_id)]


def _write_package(root: Path, value: int) -> None:
    (root / "preloaded_pkg").mkdir(parents=True, exist_ok=True)
    (root / "preloaded_pkg" / "__init__.py").write_text(f"VALUE = {value}\n", encoding="utf-8")


def test_an_edit_to_preloaded_project_code_reaches_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """infra/dagster.yaml preloads the code location: a changed .py file restarts the forkserver."""
    project = tmp_path / "project"
    _write_package(project, 1)
    monkeypatch.syspath_prepend(str(project))
    release_forkserver()  # a forkserver of an earlier test has neither this preload nor this sys.path
    config = {"ops": {"write_preloaded_value": {"config": {"path": ""}}}}
    with _instance(tmp_path / "home", idle_shutdown_seconds=0, preload="pydantic, preloaded_pkg") as instance:
        values = []
        for value, marker in ((1, tmp_path / "one"), (22, tmp_path / "two")):
            _write_package(project, value)
            config["ops"]["write_preloaded_value"]["config"]["path"] = str(marker)
            assert _succeeds(instance, _launch(instance, preloaded_value_job, config))
            values.append(marker.read_text(encoding="utf-8"))
    assert values == ["1", "22"]


def test_source_fingerprint_covers_the_packages_beside_a_preloaded_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for package in ("app_defs", "app_contracts"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = source_fingerprint(["dagster", "app_defs.definitions"])
    (tmp_path / "app_contracts" / "model.py").write_text("X = 1\n", encoding="utf-8")
    assert source_fingerprint(["dagster", "app_defs.definitions"]) != before
    assert source_fingerprint(["dagster"]) == source_fingerprint(["dagster"])  # installed: not walked
