"""One error shape everywhere: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsrunbook_api.core.secrets import SecretUnavailable
from opsrunbook_api.services.errors import (
    BadRequest,
    Conflict,
    CorruptObject,
    Invalid,
    InvalidSignature,
    NotFound,
    ServiceError,
    Unavailable,
)

log = logging.getLogger("opsrunbook_api")
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
SERVICE_STATUS: dict[type[ServiceError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    BadRequest: 400,
    InvalidSignature: 401,
    Unavailable: 503,
    CorruptObject: 500,
}


class ApiError(Exception):
    """Raised by routes and dependencies for a specific status, code and message."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or STATUS_CODES.get(status_code, "error")
        self.message = message
        self.details = details or {}
        self.headers = headers


def error_payload(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": jsonable_encoder(details or {})}}


def error_response(
    status_code: int,
    message: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = error_payload(code or STATUS_CODES.get(status_code, "error"), message, details)
    return JSONResponse(body, status_code=status_code, headers=headers)


def field_path(error: dict[str, Any]) -> str:
    """Dotted location of a validation error, without FastAPI's leading ``body``.

    A model-level check (e.g. ``TimeWindow``'s ``end must be after start``) is reported by
    Pydantic at the model; when its message starts with one of that model's own field names,
    the error is attributed to that field (``time_window.end``), which is what a caller fixes.
    """
    loc = [str(p) for p in error.get("loc", ())]
    if loc and loc[0] == "body":
        loc = loc[1:]
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    given = error.get("input")
    first_word = message.split(" ", 1)[0]
    if error.get("type") == "value_error" and isinstance(given, dict) and first_word in given:
        loc.append(first_word)
    return ".".join(loc) or "body"


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "invalid JSON"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


async def _validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": field_path(e), "msg": _message(e), "type": str(e.get("type", ""))} for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": "body", "msg": "invalid request"}
    return error_response(422, f"{first['loc']}: {first['msg']}", details={"errors": errors})


async def _api_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status_code, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


async def _service_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = next((s for cls, s in SERVICE_STATUS.items() if isinstance(exc, cls)), 500)
    if status >= 500:
        log.error("service error %s: %s", exc.code, exc.message)
    retry_after = exc.details.get("retry_after")
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(status, exc.message, code=exc.code, details=exc.details, headers=headers)


async def _secret_handler(_: Request, exc: Exception) -> JSONResponse:
    log.error("%s (cause: %r)", exc, exc.__cause__)
    return error_response(503, str(exc), code="unavailable")


def allowed_methods(request: Request) -> str | None:
    """Every method the API documents for this path (Starlette names only the first route's, and
    two routes share ``/v1/incidents``: POST and GET)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            methods |= {m.upper() for m in operations if m in HTTP_METHODS}
    return ", ".join(sorted(methods)) or None


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else STATUS_CODES.get(exc.status_code, "error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405 and (allow := allowed_methods(request)):
        headers["Allow"] = allow
    return error_response(exc.status_code, message, headers=headers or None)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(ServiceError, _service_error_handler)
    app.add_exception_handler(SecretUnavailable, _secret_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
