"""The run worker side of ForkserverRunLauncher: what a forked worker runs, how it is identified, and
how the launcher lets go of an idle forkserver. Linux/macOS, single host."""

import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import _check as check

if TYPE_CHECKING:
    from dagster import DagsterInstance, DagsterRun

#: Run tag holding the worker's identity, ``<pid>:<start time>`` (the start time guards against pid reuse).
WORKER_TAG = "opsrunbook/run_worker"
#: Engine event a run worker writes before it may execute a run (``claim_run``).
CLAIM_PREFIX = "Run worker claims the run: "
#: Environment variable through which the launcher hands its instance's serialized ref to the forkserver.
INSTANCE_REF_ENV = "OPSRUNBOOK_FORKSERVER_INSTANCE_REF"
#: The instance the forkserver opened (``warm_instance``), with the serialized ref it was opened from.
_warm: "tuple[str, DagsterInstance] | None" = None


def warm_instance(serialized_ref: str) -> None:
    """Open the instance of ``serialized_ref`` in this process (the forkserver) for the workers it forks:
    its storages, schema checks and lazily imported modules then cost each worker nothing."""
    global _warm
    if serialized_ref:
        _warm = (serialized_ref, _from_ref(serialized_ref))


def open_instance(serialized_ref: str) -> "DagsterInstance":
    """The forkserver's instance when it was opened from the same ref, else a newly opened one."""
    if _warm is not None and _warm[0] == serialized_ref:
        return _warm[1]
    return _from_ref(serialized_ref)


def _from_ref(serialized_ref: str) -> "DagsterInstance":
    from dagster._core.instance import DagsterInstance, InstanceRef
    from dagster._serdes import deserialize_value

    return DagsterInstance.from_ref(deserialize_value(serialized_ref, InstanceRef))


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux /proc), None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]  # a zombie has finished


def worker_identity(pid: int) -> str:
    return f"{pid}:{_start_time(pid) or ''}"


def worker_pid(identity: str | None) -> int | None:
    """The pid in ``identity`` if that very process still runs (same start time), else None."""
    if not identity or not identity.split(":", 1)[0].isdigit():
        return None
    pid_text, _, started = identity.partition(":")
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or someone else's process now
        return None
    now = _start_time(pid)
    if started and now != started:
        return None  # the pid was reused (or the worker is a zombie)
    return pid


def claim_run(instance: "DagsterInstance", run: "DagsterRun", identity: str) -> bool:
    """True for the one worker that may execute ``run``; every other worker of the run gets False.

    Dagster's run queue checks that a run is QUEUED and then launches it, with nothing in between to
    stop a second daemon on the same instance (a rolling deploy, a stuck daemon's replacement) from
    doing the same: two workers then find the run STARTING and both execute it. Each worker writes a
    claim event and the earliest claim in the event log (ids are assigned by the storage, in one order
    for every reader) wins. A winner that dies before it starts leaves the run STARTING, which run
    monitoring's start timeout fails (and run retries take up)."""
    from dagster import DagsterEventType

    instance.report_engine_event(f"{CLAIM_PREFIX}{identity}", run)
    records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ENGINE_EVENT).records
    claims = [r for r in records if r.event_log_entry.message.startswith(CLAIM_PREFIX)]
    first = min(claims, key=lambda r: r.storage_id)
    return first.event_log_entry.message == f"{CLAIM_PREFIX}{identity}"


def execute_run_in_worker(serialized_instance_ref: str, run_id: str) -> None:
    """Run worker body (in the forked child): load the run and execute it like `dagster api execute_run`.

    A job that does not load marks the run FAILURE with the error. If the instance itself cannot be
    reached, the worker cannot report anything: run monitoring's start timeout fails the run.
    """
    from dagster._core.events import EngineEventData
    from dagster._core.origin import JobPythonOrigin
    from dagster._grpc.impl import core_execute_run
    from dagster._utils.error import serializable_error_info_from_exc_info
    from dagster._utils.hosted_user_process import recon_job_from_origin
    from dagster._utils.interrupts import capture_interrupts

    with capture_interrupts(), open_instance(serialized_instance_ref) as instance:
        pid = os.getpid()
        run = check.not_none(instance.get_run_by_id(run_id), f"run {run_id} not found")
        if not claim_run(instance, run, worker_identity(pid)):
            instance.report_engine_event(
                f"Ignoring a duplicate run worker (pid: {pid}): another worker claimed the run first.",
                run,
            )
            return
        # the worker records itself, before any status event (no concurrent write of the run)
        instance.add_run_tags(run_id, {WORKER_TAG: worker_identity(pid)})
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


def source_fingerprint(modules: Sequence[str]) -> int:
    """A hash of (path, mtime, size) of every ``.py`` file of the project the preloaded ``modules``
    come from: each preloaded top-level package that is not an installed distribution, and the other
    packages beside it (the code location imports them too, e.g. ``contracts``). The launcher
    compares it at each launch and restarts a forkserver whose preloaded code has changed since, so
    an edit is picked up by the next run as with Dagster's launcher. A few hundred ``stat`` calls."""
    roots: set[str] = set()
    for top in sorted({name.split(".")[0] for name in modules}):
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            if "site-packages" not in location and "dist-packages" not in location:
                roots.add(os.path.dirname(location))
    entries = []
    for root in sorted(roots):
        packages = sorted(
            d
            for d in os.listdir(root)
            if not d.startswith(".") and os.path.isfile(os.path.join(root, d, "__init__.py"))
        )
        for package in packages:
            for folder, subfolders, files in os.walk(os.path.join(root, package)):
                subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and not d.startswith("."))
                for name in sorted(f for f in files if f.endswith(".py")):
                    try:
                        stat = os.stat(os.path.join(folder, name))
                    except OSError:
                        continue
                    entries.append((folder, name, stat.st_mtime_ns, stat.st_size))
    return hash(tuple(entries))


def release_forkserver() -> bool:
    """Let go of this process's forkserver without waiting for it: the next fork request starts a new
    one, and the old one exits (and is reaped in the background) once nothing holds it. Uses
    CPython's forkserver internals (3.8-3.13); returns False, doing nothing, where they differ."""
    from multiprocessing import forkserver, util

    server = forkserver._forkserver
    names = ("_lock", "_forkserver_pid", "_forkserver_alive_fd", "_forkserver_address")
    if not all(hasattr(server, name) for name in names):
        return False
    with server._lock:
        pid, alive_fd, address = (
            server._forkserver_pid,
            server._forkserver_alive_fd,
            server._forkserver_address,
        )
        if pid is None:
            return True
        server._forkserver_pid = server._forkserver_alive_fd = server._forkserver_address = None
    os.close(alive_fd)  # EOF on its "alive" pipe asks it to exit
    if address and not util.is_abstract_socket_namespace(address):
        try:
            os.unlink(address)
        except OSError:
            pass
    threading.Thread(target=_reap, args=(pid,), name="forkserver-reaper", daemon=True).start()
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
