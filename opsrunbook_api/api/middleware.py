"""Pure ASGI middleware: request-body limits (413) and a last-resort 500 that leaks nothing."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from opsrunbook_api.api.errors import error_payload

log = logging.getLogger("opsrunbook_api")
Scope = dict[str, Any]
Message = dict[str, Any]


async def send_error(send: Callable[..., Any], status: int, code: str, message: str, **details: Any) -> None:
    body = json.dumps(error_payload(code, message, details)).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Reject bodies over the limit for their path before any route sees them (413)."""

    def __init__(self, app: Any, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await send_error(send, 400, "bad_request", "invalid Content-Length header")
                return
            if size > limit:
                await self._too_large(send, limit)
                return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    @staticmethod
    async def _too_large(send: Callable[..., Any], limit: int) -> None:
        await send_error(
            send, 413, "payload_too_large", f"request body larger than {limit} bytes", limit=limit
        )


def _replay(body: bytes, receive: Callable[..., Any]) -> Callable[..., Any]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replay


class CatchAllMiddleware:
    """Any unhandled exception becomes a generic 500 (logged with an id, never echoed)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            error_id = uuid.uuid4().hex[:16]
            log.exception("unhandled error %s on %s %s", error_id, scope.get("method"), scope.get("path"))
            if started:
                raise
            await send_error(send, 500, "internal_error", "internal server error", error_id=error_id)
