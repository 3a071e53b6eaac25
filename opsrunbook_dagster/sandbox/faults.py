"""Fault injection for the sandbox: make chosen AWS services answer errors for a while.

A WSGI middleware in front of moto. ``POST /_opsrunbook/faults`` with
``{"services": ["s3", "dynamodb"], "status": 500, "seconds": 20}`` (or ``"throttle": true`` for
each service's throttling error) makes requests to those services fail until the time is up;
``DELETE /_opsrunbook/faults`` clears it. The service is read from the request's SigV4 credential
scope, as AWS routes it. Used by the chaos benchmark; harmless when never switched on.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

CONTROL_PATH = "/_opsrunbook/faults"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
#: How each service says "slow down" (HTTP status, error code, body format).
_THROTTLE = {
    "s3": (503, "SlowDown", "xml"),
    "dynamodb": (400, "ThrottlingException", "json"),
}

StartResponse = Callable[..., Any]


@dataclass
class Fault:
    services: frozenset[str]
    status: int
    throttle: bool
    until: float


@dataclass
class FaultInjector:
    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
    clock: Callable[[], float] = time.monotonic
    fault: Fault | None = None
    injected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self._control(environ, start_response)
        service = _service(environ)
        with self._lock:
            fault = self.fault if self.fault and self.clock() < self.fault.until else None
            if fault is not None and service in fault.services:
                self.injected += 1
            else:
                fault = None
        if fault is None:
            return self.app(environ, start_response)
        return _error(service, fault, start_response)

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            spec = json.loads(environ["wsgi.input"].read(size) or b"{}")
            with self._lock:
                self.fault = Fault(
                    services=frozenset(spec.get("services") or ()),
                    status=int(spec.get("status", 500)),
                    throttle=bool(spec.get("throttle")),
                    until=self.clock() + float(spec.get("seconds", 20)),
                )
        elif method == "DELETE":
            with self._lock:
                self.fault = None
        with self._lock:
            state = {
                "active": bool(self.fault and self.clock() < self.fault.until),
                "injected": self.injected,
            }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(state).encode()]


def _service(environ: dict[str, Any]) -> str:
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def _error(service: str, fault: Fault, start_response: StartResponse) -> Iterable[bytes]:
    status, code, shape = _THROTTLE.get(service, (fault.status, "InternalError", "json"))
    if not fault.throttle:
        status, code = fault.status, "InternalError" if service == "s3" else "InternalServerError"
        shape = "xml" if service == "s3" else "json"
    message = "injected by the sandbox's fault switch"
    if shape == "xml":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        content_type = "application/xml"
    else:
        body = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": message})
        content_type = "application/x-amz-json-1.0"
    start_response(f"{status} Injected", [("Content-Type", content_type), ("x-amzn-ErrorType", code)])
    return [body.encode()]
