"""A small threaded HTTP server for local fakes: routing, a request log, validation failures,
and fault injection (status codes with Retry-After, delays, connection resets, "processed, then the
connection dropped before the response", "processed, then a gateway answered 5xx", redirects)."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

FaultKind = Literal["status", "delay", "reset", "commit_then_reset", "redirect", "commit_then_status"]


@dataclass
class Fault:
    """Applies to the next ``times`` matching requests (``-1``: forever)."""

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    times: int = 1
    #: ``redirect``: where the ``status`` (3xx) answer points.
    location: str = ""

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Response]


class HttpError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


class FakeApp:
    """Routes ``(METHOD, regex)`` to handlers; records requests and validation failures."""

    name = "fake"

    def __init__(self) -> None:
        self.base_url = ""
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.log: list[Request] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def fault(self, kind: FaultKind, **kwargs: Any) -> Fault:
        fault = Fault(kind=kind, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times != 0 and fault.matches(method, path):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def reject(self, status: int, message: str) -> HttpError:
        """A validation failure: recorded (tests assert there are none) and answered with 4xx."""
        with self.lock:
            self.violations.append(message)
        return HttpError(status, self.error_body(message))

    def error_body(self, message: str) -> Any:
        return {"message": message}

    def requests_for(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self.lock:
            return [
                r
                for r in self.log
                if (method is None or r.method == method) and (path is None or re.search(path, r.path))
            ]

    def dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                try:
                    with self.lock:
                        return handler(request, **match.groupdict())
                except HttpError as exc:
                    return Response(exc.status, exc.body)
        if any(p.match(request.path) for _, p, _ in self.routes):
            return Response(405, self.error_body(f"{request.method} not allowed on {request.path}"))
        return Response(404, self.error_body(f"no route for {request.method} {request.path}"))


def _reset(connection: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer sees a connection reset."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # never print requests (they carry secrets)
        return

    def _handle(self) -> None:
        app = self.server.app
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = Request(self.command, split.path, parse_qs(split.query), dict(self.headers.items()), raw)
        with app.lock:
            app.log.append(request)
        fault = app.take_fault(request.method, request.path)
        if fault and fault.kind == "delay":
            time.sleep(fault.delay)
        if fault and fault.kind == "reset":
            self.close_connection = True
            _reset(self.connection)
            return
        if fault and fault.kind == "status":
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            self._send(Response(fault.status, app.error_body(f"injected {fault.status}"), headers))
            return
        if fault and fault.kind == "redirect":
            self._send(Response(fault.status, None, {"Location": fault.location}))
            return
        response = app.dispatch(request)
        if fault and fault.kind == "commit_then_status":  # processed, then a gateway answers 5xx
            self._send(Response(fault.status, app.error_body(f"injected {fault.status} after processing")))
            return
        if fault and fault.kind == "commit_then_reset":
            self.close_connection = True
            _reset(self.connection)
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        body = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: FakeApp) -> None:
        super().__init__(address, _Handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Peers that hang up (timeouts, injected resets) are expected here; stay quiet."""
        return


class FakeServer:
    """Serves ``app`` on ``host:port`` (0 = a free port) in a background thread."""

    def __init__(self, app: FakeApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = _Server((host, port), app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"fake-{app.name}", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        self.app.base_url = self.url
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
