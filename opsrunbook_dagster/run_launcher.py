"""A run launcher that forks run workers from a preloaded forkserver instead of spawning a new interpreter.

Dagster's DefaultRunLauncher asks the code server to start each run in a freshly *spawned* Python
process, which imports dagster, SQLAlchemy, boto3 and the code location again for every run (~1.5 CPU-s,
half of a run worker's cost here). This launcher keeps one `multiprocessing` forkserver per launching
process (daemon, webserver) that has imported the heavy, rarely-changing modules once; each run is a
fork of it (copy-on-write) that then loads the code location itself, so edited code is picked up on the
next run exactly as with the default launcher. The forkserver also opens the Dagster instance once
(``opsrunbook_dagster.forkserver_instance``: storages, schema checks), and each worker reuses it.
Runs execute with the same entry point the default launcher's worker uses (`core_execute_run`), so
events, statuses, retries and checks are unchanged.

With no run in flight for ``idle_shutdown_seconds`` (default 60) the forkserver stops and gives its
memory back; the next run starts it again, paying the imports once.

Single host only (the worker is a local process): configure it in a local `dagster.yaml`; production
deployments keep their platform's launcher (ECS, Kubernetes, ...). Optional: nothing else in the
project imports it, and infra/dagster.yaml alone selects it; Dagster's DefaultRunLauncher runs the same
runs at about twice the CPU per run (docs/architecture.md, benchmarks/results/run_cost.json).

It uses private Dagster APIs (``dagster._*``), verified on ``VERIFIED_DAGSTER_VERSIONS``;
tests/unit/test_local_launcher_contract.py fails on any other version and on any private symbol or
signature that changed, so an upgrade re-verifies it or drops it from infra/dagster.yaml.

    run_launcher:
      module: opsrunbook_dagster.run_launcher
      class: ForkserverRunLauncher
      config:
        preload_modules: [boto3, pydantic]
"""

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import _check as check
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from opsrunbook_dagster.run_worker import (
    INSTANCE_REF_ENV,
    WORKER_TAG,
    execute_run_in_worker,
    release_forkserver,
    source_fingerprint,
    worker_pid,
)

#: Dagster releases this launcher's private-API use was verified on (tests/unit/test_local_launcher_contract.py)
VERIFIED_DAGSTER_VERSIONS = ("1.13.27",)
#: With no run in flight for this long, the forkserver (~120 MB) is stopped; the next run restarts it.
DEFAULT_IDLE_SHUTDOWN_SECONDS = 60.0
logger = logging.getLogger(__name__)
# Always preloaded: what every run worker imports before it reaches user code.
BASE_PRELOAD = (
    "dagster",
    "dagster._grpc.impl",
    "dagster._core.storage.runs.sqlite",
    "dagster._core.storage.event_log.sqlite",
    "dagster._core.storage.schedules.sqlite",
    "opsrunbook_dagster.forkserver_instance",  # opens the instance (INSTANCE_REF_ENV) for the workers
)


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
        self._last_active = 0.0
        self._forkserver_up = False
        self._fingerprint: int | None = None
        self._retirer: threading.Thread | None = None
        self._disposed = threading.Event()
        super().__init__()
        from dagster import __version__

        if __version__ not in VERIFIED_DAGSTER_VERSIONS:
            logger.warning(
                "ForkserverRunLauncher uses private Dagster APIs verified on %s, not on %s: re-verify it "
                "or use DefaultRunLauncher",
                VERIFIED_DAGSTER_VERSIONS,
                __version__,
            )

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
            fingerprint = source_fingerprint(self._preload)
            if self._forkserver_up and fingerprint != self._fingerprint and release_forkserver():
                self._forkserver_up = False  # preloaded project code changed: fork from a fresh one
            serialized_ref = serialize_value(self._instance.get_ref())
            if not self._forkserver_up:
                self._fingerprint = fingerprint
                os.environ[INSTANCE_REF_ENV] = serialized_ref  # read by the forkserver the start below starts
            worker = self._ctx.Process(
                target=execute_run_in_worker,
                args=(serialized_ref, run.run_id),
                name=f"dagster-run-{run.run_id[:8]}",
            )
            worker.start()  # (re)starts the forkserver if it is not running
            # not a child this process's exit must wait for: the daemon restarts without waiting for runs
            multiprocessing.process._children.discard(worker)  # type: ignore[attr-defined]
            self._workers[run.run_id] = worker
            self._forkserver_up = True
            self._last_active = time.monotonic()
            if self._idle_shutdown_seconds > 0 and self._retirer is None:
                self._retirer = threading.Thread(
                    target=self._retire_when_idle, name="forkserver-idle-shutdown", daemon=True
                )
                self._retirer.start()

    def _retire_when_idle(self) -> None:
        """Let the forkserver go (its memory with it) once no run has been in flight for
        ``idle_shutdown_seconds``; the next launch starts a new one (about 0.7 CPU-s of imports, once).
        Never blocks a launch: the old forkserver is reaped in the background."""
        while not self._disposed.wait(min(5.0, self._idle_shutdown_seconds)):
            with self._lock:
                self._reap()
                if self._workers:
                    self._last_active = time.monotonic()
                    continue
                idle = time.monotonic() - self._last_active >= self._idle_shutdown_seconds
                if not (self._forkserver_up and idle):
                    continue
                try:
                    released = release_forkserver()
                except OSError:
                    logger.exception("could not stop the idle forkserver; keeping it")
                    released = False
                if not released:
                    return  # unsupported here: keep the forkserver for good
                self._forkserver_up = False

    def _worker_pid(self, run_id: str) -> int | None:
        run = self._instance.get_run_by_id(run_id)
        return worker_pid(run.tags.get(WORKER_TAG)) if run else None

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if not run or run.is_finished:
            return False
        pid = self._worker_pid(run_id)
        if pid is None:  # never started, or already gone: nothing to interrupt
            self._instance.report_run_canceled(run, "Run worker was not running; the run is canceled.")
            return True
        self._instance.report_run_canceling(run)
        try:
            os.kill(pid, signal.SIGINT)  # the worker's capture_interrupts turns this into a clean cancel
        except ProcessLookupError:
            self._instance.report_run_canceled(run, "Run worker exited before it could be interrupted.")
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:  # type: ignore[no-untyped-def]
        identity = run.tags.get(WORKER_TAG)
        if identity is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "the run worker has not recorded itself yet")
        pid = worker_pid(identity)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker {identity} is gone")
        return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=identity)

    def dispose(self) -> None:
        self._disposed.set()
        with self._lock:
            self._workers.clear()
