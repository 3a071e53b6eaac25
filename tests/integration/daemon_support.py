"""A `dagster-daemon run` process (no webserver) on a prepared DAGSTER_HOME, as a deployment runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from opsrunbook_dagster.cli.stack import REPO_ROOT, stop_group
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import RequestRow, RequestStore

#: What the sensor daemon logs each time it evaluates a sensor.
TICK_LINE = "Checking for new runs for sensor: "


@dataclass
class DaemonProcess:
    """One `dagster-daemon run` (its own code server and run launcher) in a process group of its own."""

    home: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        daemon = shutil.which("dagster-daemon", path=str(Path(sys.executable).parent)) or "dagster-daemon"
        with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [daemon, "run", "-w", str(REPO_ROOT / "workspace.yaml")],
                cwd=REPO_ROOT,
                env={**self.env, "DAGSTER_HOME": str(self.home)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ticks(self, sensor: str) -> int:
        """How many evaluations of ``sensor`` this daemon has logged so far."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count(f"{TICK_LINE}{sensor}")

    def wait_for_tick(self, sensor: str, timeout: float, after: int = 0) -> None:
        """Until this daemon has logged more than ``after`` evaluations of ``sensor``."""
        deadline = time.monotonic() + timeout
        while self.ticks(sensor) <= after:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"dagster-daemon exited with {self.process.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"dagster-daemon did not tick {sensor} within {timeout}s; see {self.log}")
            time.sleep(0.5)

    def stop(self) -> None:
        stop_group(self.process)


Store = TypeVar("Store", bound=RequestStore)


def ticks_after_read(store: Store, other_tick: Callable[[], object]) -> Store:
    """Daemon A's ``store``: right after A's next read of the queue, daemon B's whole tick runs (the
    window two daemons of a rolling deploy race in), once."""
    read = store.pending
    pending_tick: list[Callable[[], object]] = [other_tick]

    def pending(limit: int = 100) -> list[RequestRow]:
        rows = read(limit)
        while pending_tick:
            pending_tick.pop()()
        return rows

    setattr(store, "pending", pending)  # noqa: B010 (an instance attribute over the method)
    return store


@dataclass
class DaemonView:
    """What a sensor asks of its ``aws`` resource (``deps()``): the shared deps with some of daemon
    A's stores in place of theirs (the cached properties, filled in ahead)."""

    shared: PipelineDeps
    stores: dict[str, RequestStore]

    def deps(self) -> PipelineDeps:
        deps = PipelineDeps(target=self.shared.target, names=self.shared.names)
        vars(deps).update(self.stores)
        return deps
