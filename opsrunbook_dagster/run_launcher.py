"""A run launcher that forks run workers from a preloaded forkserver instead of spawning a new interpreter.

Dagster's DefaultRunLauncher asks the code server to start each run in a freshly *spawned* Python
process, which imports dagster, SQLAlchemy, boto3 and the code location again for every run (~1.5 CPU-s,
half of a run worker's cost here). This launcher keeps one `multiprocessing` forkserver per launching
process (daemon, webserver) that has imported the heavy, rarely-changing modules once; each run is a
fork of it (copy-on-write) that then loads the code location itself, so edited code is picked up on the
next run exactly as with the default launcher. Runs execute with the same entry point the default
launcher's worker uses (`core_execute_run`), so events, statuses, retries and checks are unchanged.

With no run in flight for ``idle_shutdown_seconds`` (default 60) the forkserver stops and gives its
memory back; the next run starts it again, paying the imports once.

Single host only (the worker is a local process): configure it in a local `dagster.yaml`; production
deployments keep their platform's launcher (ECS, Kubernetes, ...).

    run_launcher:
      module: opsrunbook_dagster.run_launcher
      class: ForkserverRunLauncher
      config:
        preload_modules: [boto3, pydantic]
"""

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import _check as check
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._serdes import ConfigurableClass, ConfigurableClassData

PID_TAG = "opsrunbook/run_worker_pid"
#: With no run in flight for this long, the forkserver (~120 MB) is stopped; the next run restarts it.
DEFAULT_IDLE_SHUTDOWN_SECONDS = 60.0
# Always preloaded: what every run worker imports before it reaches user code.
BASE_PRELOAD = (
    "dagster",
    "dagster._grpc.impl",
    "dagster._core.storage.runs.sqlite",
    "dagster._core.storage.event_log.sqlite",
    "dagster._core.storage.schedules.sqlite",
)


def execute_run_in_worker(serialized_instance_ref: str, run_id: str) -> None:
    """Run worker body (in the forked child): load the run and execute it like `dagster api execute_run`.

    A failure before execution starts (code location does not load, run vanished) marks the run FAILURE
    with the error, so nothing is left in STARTING.
    """
    from dagster._core.events import EngineEventData
    from dagster._core.instance import DagsterInstance, InstanceRef
    from dagster._core.origin import JobPythonOrigin
    from dagster._grpc.impl import core_execute_run
    from dagster._serdes import deserialize_value
    from dagster._utils.error import serializable_error_info_from_exc_info
    from dagster._utils.hosted_user_process import recon_job_from_origin
    from dagster._utils.interrupts import capture_interrupts

    with capture_interrupts():
        ref = deserialize_value(serialized_instance_ref, InstanceRef)
        with DagsterInstance.from_ref(ref) as instance:
            run = check.not_none(instance.get_run_by_id(run_id), f"run {run_id} not found")
            pid = os.getpid()
            try:
                origin = check.inst(run.job_code_origin, JobPythonOrigin, "run has no code origin")
                recon_job = recon_job_from_origin(origin)
            except Exception:
                error = serializable_error_info_from_exc_info(sys.exc_info())
                instance.report_engine_event(
                    f"Run worker {pid} could not load the job.", run, EngineEventData.engine_error(error)
                )
                instance.report_run_failed(run)
                return
            instance.report_engine_event(
                f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid)
            )
            try:
                # loads the job first (a load error is reported as "Could not load job definition.")
                for _event in core_execute_run(recon_job, run, instance, inject_env_vars=True):
                    pass
            except BaseException:  # core_execute_run has written the failure to the event log
                pass
            finally:
                instance.report_engine_event(f"Process for run exited (pid: {pid}).", run)


class ForkserverRunLauncher(RunLauncher, ConfigurableClass):
    """Launch each run in a process forked from a preloaded forkserver on this host."""

    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        preload_modules: Sequence[str] = (),
        idle_shutdown_seconds: float = DEFAULT_IDLE_SHUTDOWN_SECONDS,
    ):
        self._inst_data = inst_data
        self._preload = list(dict.fromkeys([*BASE_PRELOAD, *preload_modules]))
        self._idle_shutdown_seconds = idle_shutdown_seconds
        self._ctx: Any = None
        self._lock = threading.Lock()
        self._workers: dict[str, Any] = {}
        self._last_launch = 0.0
        self._forkserver_up = False
        self._retirer: threading.Thread | None = None
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        from dagster import Array, Field

        return {
            "preload_modules": Field(Array(str), is_required=False, default_value=[]),
            "idle_shutdown_seconds": Field(
                float,
                is_required=False,
                default_value=DEFAULT_IDLE_SHUTDOWN_SECONDS,
                description="Stop the forkserver after this long with no run in flight (0: never).",
            ),
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]):
        return cls(
            inst_data=inst_data,
            preload_modules=config_value.get("preload_modules", []),
            idle_shutdown_seconds=config_value.get("idle_shutdown_seconds", DEFAULT_IDLE_SHUTDOWN_SECONDS),
        )

    @property
    def forkserver_running(self) -> bool:
        return self._forkserver_up

    def _reap(self) -> None:
        """Forget finished workers (caller holds the lock)."""
        self._workers = {k: p for k, p in self._workers.items() if p.is_alive()}

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        check.invariant(
            run.job_code_origin is not None, "ForkserverRunLauncher needs a run with a code origin"
        )
        from dagster._serdes import serialize_value

        with self._lock:  # a launch never races the idle shutdown
            if self._ctx is None:
                self._ctx = multiprocessing.get_context("forkserver")
                self._ctx.set_forkserver_preload(self._preload)
            self._reap()
            worker = self._ctx.Process(
                target=execute_run_in_worker,
                args=(serialize_value(self._instance.get_ref()), run.run_id),
                name=f"dagster-run-{run.run_id[:8]}",
            )
            worker.start()  # (re)starts the forkserver if it is not running
            self._workers[run.run_id] = worker
            self._forkserver_up = True
            self._last_launch = time.monotonic()
            if self._idle_shutdown_seconds > 0 and self._retirer is None:
                self._retirer = threading.Thread(
                    target=self._retire_when_idle, name="forkserver-idle-shutdown", daemon=True
                )
                self._retirer.start()
        self._instance.add_run_tags(run.run_id, {PID_TAG: str(worker.pid)})

    def _retire_when_idle(self) -> None:
        """Stop the forkserver (and free its memory) once nothing has run for ``idle_shutdown_seconds``;
        the next launch starts it again (about 0.7 CPU-s of imports, once)."""
        from multiprocessing import forkserver

        stop = getattr(forkserver._forkserver, "_stop", None)  # CPython 3.8+; without it, never retire
        while stop is not None:
            time.sleep(min(5.0, self._idle_shutdown_seconds))
            with self._lock:
                self._reap()
                idle_for = time.monotonic() - self._last_launch
                if self._forkserver_up and not self._workers and idle_for >= self._idle_shutdown_seconds:
                    stop()
                    self._forkserver_up = False

    def _pid(self, run_id: str) -> int | None:
        run = self._instance.get_run_by_id(run_id)
        value = run.tags.get(PID_TAG) if run else None
        return int(value) if value and value.isdigit() else None

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        pid = self._pid(run_id)
        if not run or run.is_finished or pid is None:
            return False
        self._instance.report_run_canceling(run)
        try:
            os.kill(pid, signal.SIGINT)  # the worker's capture_interrupts turns this into a clean cancel
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:  # type: ignore[no-untyped-def]
        pid = self._pid(run.run_id)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no run worker pid recorded")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker {pid} is gone")
        except PermissionError:
            pass
        return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(pid))

    def dispose(self) -> None:
        with self._lock:
            for worker in self._workers.values():
                worker.join(timeout=0)
            self._workers.clear()
