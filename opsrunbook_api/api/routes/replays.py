"""Replay requests and their outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response

from opsrunbook_api.api.auth_route import AuthFirstRoute
from opsrunbook_api.api.deps import ReplaysDep, require_api_key
from opsrunbook_api.api.params import IncidentIdPath, ReplayIdPath
from opsrunbook_api.schemas.common import error_responses
from opsrunbook_api.schemas.replays import ReplayAccepted, ReplayOut, ReplayRequest

router = APIRouter(
    prefix="/v1/incidents",
    tags=["replays"],
    dependencies=[Depends(require_api_key)],
    route_class=AuthFirstRoute,
    responses=error_responses(401, 403, 429, 404, 422, 503),
)


@router.post(
    "/{incident_id}/replay",
    status_code=202,
    response_model=ReplayAccepted,
    responses=error_responses(400, 413),
)
def request_replay(
    incident_id: IncidentIdPath,
    replays: ReplaysDep,
    request: Request,
    response: Response,
    body: Annotated[ReplayRequest | None, Body()] = None,
) -> ReplayAccepted:
    """Ask for packets and plans to be rebuilt from stored evidence."""
    row = replays.request(incident_id, body.run_ids if body else None)
    status_url = request.url_for("get_replay", incident_id=incident_id, replay_id=row["replay_id"]).path
    response.headers["Location"] = status_url
    return ReplayAccepted(
        replay_id=row["replay_id"], incident_id=incident_id, status=row["status"], status_url=status_url
    )


@router.get("/{incident_id}/replays/{replay_id}", response_model=ReplayOut)
def get_replay(incident_id: IncidentIdPath, replay_id: ReplayIdPath, replays: ReplaysDep) -> ReplayOut:
    """Replay status, and whether every rebuild matched (with diffs) once checks exist."""
    return replays.status(incident_id, replay_id)
