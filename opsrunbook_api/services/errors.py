"""Domain errors raised by services; ``api.errors`` maps each to one HTTP status and error code."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class Invalid(ServiceError):
    code = "invalid_request"


class BadRequest(ServiceError):
    code = "bad_request"


class InvalidSignature(ServiceError):
    code = "invalid_signature"


class Unavailable(ServiceError):
    code = "unavailable"


class CorruptObject(ServiceError):
    """A stored object does not match the sha256 recorded for it."""

    code = "integrity_error"


class InvalidParameter(Invalid):
    """A request parameter a service checks itself (e.g. a page cursor); reported like a validation error."""

    code = "validation_error"

    def __init__(self, location: str, message: str) -> None:
        super().__init__(
            f"{location}: {message}", {"errors": [{"loc": location, "msg": message, "type": "value_error"}]}
        )
