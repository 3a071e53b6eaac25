"""Liveness and readiness: booleans for anyone, the detailed view behind the API key."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from opsrunbook_api.api.deps import HealthDep, require_api_key
from opsrunbook_api.schemas.common import error_responses
from opsrunbook_api.schemas.health import HealthOut, HealthSummaryOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthSummaryOut,
    responses={503: {"model": HealthSummaryOut, "description": "Alive, but not ready"}},
)
def health(service: HealthDep) -> JSONResponse:
    """Live and ready, nothing else (no configuration, no check details); unauthenticated.
    Readiness is cached for ``OPSRUNBOOK_HEALTH_CACHE_SECONDS``."""
    report = service.check()
    body = HealthSummaryOut(live=True, ready=report.ready)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if report.ready else 503)


@router.get(
    "/health/ready",
    response_model=HealthOut,
    dependencies=[Depends(require_api_key)],
    responses={
        503: {"model": HealthOut, "description": "Alive, but a table, the bucket or the orchestrator is not"},
        **error_responses(401, 403, 429),
    },
)
def ready(service: HealthDep) -> JSONResponse:
    """Readiness with every check and a configuration summary (no secret values); needs the API key."""
    report = service.check()
    return JSONResponse(report.model_dump(mode="json"), status_code=200 if report.ready else 503)


@router.get("/health/live", responses={200: {"description": "The process serves requests"}})
def live() -> dict[str, bool]:
    """Liveness only: no dependency is touched and nothing about the configuration is said."""
    return {"live": True}
