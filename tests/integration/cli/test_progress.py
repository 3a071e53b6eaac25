"""Long CLI work shows progress to a person at a terminal, and nothing to a pipe or with --json."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from opsrunbook_dagster.cli.progress_bar import ProgressDisplay, wanted
from opsrunbook_dagster.sandbox.server import SandboxServer

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "opsrunbook_dagster.cli.main"]


def _on_a_terminal(argv: list[str], timeout: float = 240) -> str:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal; everything it wrote there."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(argv, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=10) == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_eval_shows_progress_on_a_terminal_only() -> None:
    argv = [*CLI, "eval", "healthy-control", "--no-determinism"]
    shown = _on_a_terminal(argv)
    assert "eval: healthy-control" in shown
    assert "totals: scenarios=1" in shown
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=240, check=True)
    assert "eval:" not in piped.stderr and "eval:" not in piped.stdout
    assert "━" not in piped.stderr


def test_eval_json_on_a_terminal_stays_plain_json() -> None:
    shown = _on_a_terminal([*CLI, "eval", "healthy-control", "--no-determinism", "--json"])
    assert "eval:" not in shown and shown.lstrip().startswith("{")


def test_sandbox_seed_counts_what_it_writes(sandbox: SandboxServer) -> None:
    shown = _on_a_terminal([*CLI, "sandbox", "seed", "lambda-timeout", "--endpoint", sandbox.endpoint_url])
    assert "seeding lambda-timeout: log events" in shown or "seeding lambda-timeout: metric points" in shown
    assert '"service": "payment-gateway"' in shown  # the request is still printed


def test_the_display_is_silent_when_not_wanted(capsys: pytest.CaptureFixture[str]) -> None:
    assert wanted() is False  # pytest captures stdout: not a terminal
    with ProgressDisplay(False, "quiet", total=3) as shown:
        shown.advance(note="x")
        shown.update(2, 3)
    assert capsys.readouterr() == ("", "")
