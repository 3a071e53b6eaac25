"""AWS Lambda entry point (API Gateway REST/HTTP API): ``opsrunbook_api.lambda_handler.handler``."""

from __future__ import annotations

from typing import Any

from mangum import Mangum

_adapter: Mangum | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Build the app on the first invocation (settings from the Lambda environment) and reuse it."""
    global _adapter
    if _adapter is None:
        from opsrunbook_api.main import create_app

        _adapter = Mangum(create_app(), lifespan="off")
    result: dict[str, Any] = _adapter(event, context)
    return result
