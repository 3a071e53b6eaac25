"""The demo's supervisor: a component that goes down is named with its reason, restarted within a
budget, and a crash loop or an unrestartable loss stops everything with a non-zero exit."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from opsrunbook_dagster.cli.supervisor import Component, Supervisor, exit_reason


class Proc:
    """A real child process that the test can kill, and restart through the component."""

    def __init__(self) -> None:
        self.process = self._spawn()
        self.started = 1

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    def probe(self) -> str | None:
        return exit_reason(self.process.poll())

    def restart(self) -> None:
        self.process = self._spawn()
        self.started += 1

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def proc() -> Proc:
    p = Proc()
    yield p  # type: ignore[misc]
    p.process.kill()


def test_a_killed_process_is_named_with_its_signal_and_restarted(proc: Proc) -> None:
    said: list[str] = []
    supervisor = Supervisor([Component("Dagster", proc.probe, restart=proc.restart)], say=said.append)
    assert supervisor.check() is None and said == []
    proc.kill()
    assert supervisor.check() is None
    assert said[0] == "Dagster is down: exited with code -9 (killed by signal 9)"
    assert "restarting Dagster (1/3)" in said and proc.started == 2
    assert proc.probe() is None


def test_a_crash_loop_stops_everything_with_exit_1(proc: Proc) -> None:
    said: list[str] = []
    supervisor = Supervisor(
        [Component("API", proc.probe, restart=proc.restart)], say=said.append, max_restarts=2
    )
    for _ in range(2):
        proc.kill()
        assert supervisor.check() is None
    proc.kill()
    assert supervisor.check() == 1
    assert said[-1] == "API went down 3 times in 300 s; stopping everything"


def test_restarts_long_ago_do_not_count_against_the_budget(proc: Proc) -> None:
    now = [0.0]
    supervisor = Supervisor(
        [Component("API", proc.probe, restart=proc.restart)],
        say=lambda _: None,
        max_restarts=1,
        clock=lambda: now[0],
    )
    proc.kill()
    assert supervisor.check() is None
    now[0] = 301.0
    proc.kill()
    assert supervisor.check() is None and proc.started == 3


def test_losing_the_unrestartable_sandbox_stops_everything() -> None:
    said: list[str] = []
    supervisor = Supervisor([Component("sandbox", lambda: "not answering")], say=said.append)
    assert supervisor.check() == 1
    assert said == [
        "sandbox is down: not answering",
        "sandbox cannot be restarted without losing its state; stopping everything",
    ]


def test_a_restart_that_fails_stops_everything() -> None:
    def broken() -> None:
        raise RuntimeError("dagster dev exited with 1")

    said: list[str] = []
    assert (
        Supervisor(
            [Component("Dagster", lambda: "exited with code 1", restart=broken)], say=said.append
        ).check()
        == 1
    )
    assert said[-1] == "Dagster did not come back: dagster dev exited with 1; stopping everything"


def test_watch_returns_0_when_asked_to_stop_and_1_when_a_part_is_lost() -> None:
    stop = threading.Event()
    stop.set()
    assert (
        Supervisor([Component("x", lambda: None)], say=lambda _: None, interval_seconds=0.01).watch(stop) == 0
    )
    lost = Supervisor([Component("x", lambda: "gone")], say=lambda _: None, interval_seconds=0.01)
    assert lost.watch(threading.Event()) == 1


def test_exit_reason_carries_the_last_log_lines(tmp_path: Path) -> None:
    log = tmp_path / "dagster-dev.log"
    log.write_text("starting\n\nDaemon crashed: OSError\n", encoding="utf-8")
    assert exit_reason(None, log) is None
    reason = exit_reason(1, log)
    assert reason is not None and reason.startswith("exited with code 1; last lines of")
    assert reason.endswith("starting\n    Daemon crashed: OSError")
