"""The one error shape, shared by every failure the API returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`, `validation_error`.")
    message: str = Field(description="One line for humans; names the offending field for 422.")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    error: ErrorBody

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "error": {
                        "code": "validation_error",
                        "message": "time_window.end: end must be after start",
                        "details": {"errors": [{"loc": "time_window.end", "msg": "end must be after start"}]},
                    }
                }
            ]
        }
    }


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error shape for ``statuses``."""
    text = {
        400: "Malformed request",
        401: "Missing or invalid credentials",
        403: "Unknown API key",
        404: "Not found",
        409: "Conflicts with what is stored",
        413: "Body larger than the limit",
        422: "Request failed validation (the message names the field)",
        429: "Too many requests for this API key (see `Retry-After`)",
        500: "Internal error, or a stored object failed its sha256 check (`integrity_error`)",
        503: "A dependency (AWS, a secret) is unavailable",
    }
    return {s: {"model": ErrorResponse, "description": text.get(s, "Error")} for s in statuses}
