"""``opsrunbook sandbox up`` as a user runs it: a subprocess that stops cleanly on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from opsrunbook_dagster.sandbox.server import free_port
from tests.integration.sandbox.test_sandbox import assert_executes_state_machines

pytestmark = pytest.mark.integration


def _start(port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "opsrunbook_dagster.cli.main", "sandbox", "up", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    exports: dict[str, str] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "AWS_SECRET_ACCESS_KEY" not in exports:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("export "):
            key, _, value = line[len("export ") :].strip().partition("=")
            exports[key] = value
    return exports


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sandbox_up_prints_env_and_stops_on_signal(sig: signal.Signals) -> None:
    port = free_port()
    proc = _start(port)
    try:
        exports = _wait_for_exports(proc)
        assert exports["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert_executes_state_machines(exports["AWS_ENDPOINT_URL"])
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/moto-api/config", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
