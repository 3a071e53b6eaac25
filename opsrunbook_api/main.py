"""The app factory. Serve with ``uvicorn --factory opsrunbook_api.main:create_app`` or ``opsrunbook api``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from opsrunbook_api.api.router import api_router
from opsrunbook_api.core.config import Settings
from opsrunbook_api.core.errors import register_error_handlers
from opsrunbook_api.core.middleware import BodyLimitMiddleware, CatchAllMiddleware
from opsrunbook_api.services.context import ApiContext

WEBHOOK_PREFIX = "/v1/webhooks/"
DESCRIPTION = """Validates, stores and reads incident requests; Dagster sensors pick up what it writes.

Every `/v1/incidents` route needs an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
Errors always have the shape `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; reads the environment only when ``settings`` is not given. No AWS calls here."""
    settings = settings or Settings()
    # /docs and /redoc with their scripts served from the package: they work on a closed network
    app = FastAPIOffline(title="OpsRunbook API", version="1.0.0", description=DESCRIPTION)
    app.state.context = ApiContext(settings)
    register_error_handlers(app)
    app.include_router(api_router)

    def limit_for(path: str) -> int:
        return settings.webhook_max_body_bytes if path.startswith(WEBHOOK_PREFIX) else settings.max_body_bytes

    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)
    app.add_middleware(CatchAllMiddleware)
    return app


def __getattr__(name: str) -> Any:
    """``opsrunbook_api.main:app``, created on first access (from the environment) and cached."""
    if name == "app":
        app = create_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
