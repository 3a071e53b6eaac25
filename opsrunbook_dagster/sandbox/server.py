"""Run moto in server mode (a real HTTP endpoint) configured for the project's needs."""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import requests
from moto import backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from opsrunbook_dagster.sandbox import moto_cloudwatch, moto_dynamodb, moto_logs
from opsrunbook_dagster.sandbox.faults import FaultInjector

#: moto behaviour the sandbox relies on: Step Functions really execute ASL definitions, and
#: Lambda invocations use moto's docker-free backend.
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def configure_moto(endpoint_url: str, timeout: float = 10.0) -> None:
    """Apply ``MOTO_CONFIG`` to a running moto server (also works for one started elsewhere)."""
    response = requests.post(f"{endpoint_url}/moto-api/config", json=MOTO_CONFIG, timeout=timeout)
    response.raise_for_status()


def wait_until_ready(endpoint_url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            requests.get(f"{endpoint_url}/moto-api/config", timeout=1.0).raise_for_status()
            return
        except requests.RequestException as exc:
            last_error = exc
            time.sleep(0.05)
    raise RuntimeError(f"moto server at {endpoint_url} not ready after {timeout}s: {last_error}")


def quiet_moto_logs() -> None:
    """Keep werkzeug request lines and interpreter chatter out of the user's terminal."""
    for name in ("werkzeug", "moto", "moto.stepfunctions"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    # moto's CloudFormation skips the storage stack's TLS-only bucket policy (nothing to enforce in a
    # sandbox without TLS) and says so on every stack; the rest of the stack is created.
    warnings.filterwarnings("ignore", message="Tried to parse AWS::S3::BucketPolicy", category=UserWarning)


def list_moto_modules_once() -> None:
    """moto's dispatcher tells a service name from a host name by listing moto's package directory
    (``os.listdir`` and an ``isdir`` per entry, ~180 of them) on every request, a seventh of the
    sandbox's CPU in an incident run. The listing cannot change while the server runs: take it once
    (idempotent; moto's modules are process-wide)."""
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]


class _FaultableMotoServer(ThreadedMotoServer):
    """moto's threaded server with the fault switch (sandbox/faults.py) in front of its app."""

    def _server_entry(self) -> None:
        app = FaultInjector(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass
class SandboxServer:
    """A moto server in this process (a thread); ``start()`` returns its endpoint URL.

    moto's backends are global to the process, so one process runs one sandbox at a time:
    starting a sandbox resets whatever state an earlier one in this process left.
    """

    host: str = "127.0.0.1"
    port: int = 0
    _server: ThreadedMotoServer | None = field(default=None, init=False, repr=False)
    _misses: int = field(default=0, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        if self.port == 0:
            self.port = free_port(self.host)
        # moto's Step Functions interpreter calls other services (e.g. Lambda) through the server
        # itself, at http://localhost:$MOTO_PORT; point it at this server's port.
        os.environ["MOTO_PORT"] = str(self.port)
        quiet_moto_logs()
        moto_dynamodb.install()
        moto_cloudwatch.install()
        moto_logs.install()
        list_moto_modules_once()
        self._server = _FaultableMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        wait_until_ready(self.endpoint_url)
        # moto keeps its state per process: a new sandbox starts empty, whatever ran before it here.
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        configure_moto(self.endpoint_url)
        return self.endpoint_url

    def probe(self, failures_allowed: int = 2) -> str | None:
        """None while the server answers; a reason once it has not answered ``failures_allowed`` + 1
        times in a row (a busy server may miss one)."""
        try:
            requests.get(f"{self.endpoint_url}/moto-api/config", timeout=5).raise_for_status()
        except requests.RequestException as exc:
            self._misses += 1
            if self._misses > failures_allowed:
                return f"{self.endpoint_url} not answering ({type(exc).__name__})"
            return None
        self._misses = 0
        return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
