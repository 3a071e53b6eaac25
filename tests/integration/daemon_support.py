"""A `dagster-daemon run` process (no webserver) on a prepared DAGSTER_HOME, as a deployment runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from opsrunbook_dagster.cli.stack import REPO_ROOT, stop_group

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
