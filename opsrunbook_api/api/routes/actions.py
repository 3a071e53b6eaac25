"""Action plans and action results."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from opsrunbook_api.api.auth_route import AuthFirstRoute
from opsrunbook_api.api.deps import ArtifactsDep, require_api_key
from opsrunbook_api.api.params import IncidentIdPath
from opsrunbook_api.schemas.artifacts import ActionsLatestOut, ActionsOut
from opsrunbook_api.schemas.common import error_responses

router = APIRouter(
    prefix="/v1/incidents",
    tags=["actions"],
    dependencies=[Depends(require_api_key)],
    route_class=AuthFirstRoute,
    responses=error_responses(401, 403, 429, 404, 422, 500, 503),
)


@router.get("/{incident_id}/actions/latest", response_model=ActionsLatestOut)
def get_latest_actions(incident_id: IncidentIdPath, artifacts: ArtifactsDep) -> ActionsLatestOut:
    """Latest action plan and its results."""
    return artifacts.latest_actions(incident_id)


@router.get("/{incident_id}/actions", response_model=ActionsOut)
def list_actions(incident_id: IncidentIdPath, artifacts: ArtifactsDep) -> ActionsOut:
    """Action results of every run, newest first."""
    return artifacts.all_results(incident_id)
