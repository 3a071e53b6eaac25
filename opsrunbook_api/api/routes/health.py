"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from opsrunbook_api.api.deps import HealthDep
from opsrunbook_api.schemas.health import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Alive, but a table or the bucket is unreachable"}},
)
def health(service: HealthDep) -> JSONResponse:
    """Liveness, readiness of the tables and bucket, and a config summary (no secret values)."""
    report = service.check()
    return JSONResponse(report.model_dump(mode="json"), status_code=200 if report.ready else 503)


@router.get("/health/live", responses={200: {"description": "The process serves requests"}})
def live() -> dict[str, bool]:
    """Liveness only: no dependency is touched and nothing about the configuration is said."""
    return {"live": True}
