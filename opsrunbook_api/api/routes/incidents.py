"""Incident intake and incident/run status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response

from contracts.incident_event import IncidentEventV1
from opsrunbook_api.api.auth_route import AuthFirstRoute
from opsrunbook_api.api.deps import IncidentsDep, OrchestratorDep, require_api_key
from opsrunbook_api.api.params import IncidentIdPath, RunIdPath
from opsrunbook_api.examples import INCIDENT_EVENT_EXAMPLES
from opsrunbook_api.schemas.common import error_responses
from opsrunbook_api.schemas.incidents import IncidentOut, IntakeResponse, RunOut

router = APIRouter(
    prefix="/v1/incidents",
    tags=["incidents"],
    dependencies=[Depends(require_api_key)],
    route_class=AuthFirstRoute,
    responses=error_responses(401, 403, 429, 422, 503),
)


@router.post(
    "",
    status_code=202,
    response_model=IntakeResponse,
    responses={
        202: {"description": "Stored; a Dagster sensor will schedule the run"},
        200: {"model": IntakeResponse, "description": "Same event_id and body as before: the existing ids"},
        **error_responses(400, 409, 413),
    },
)
def submit_incident(
    event: Annotated[IncidentEventV1, Body(openapi_examples=INCIDENT_EVENT_EXAMPLES)],
    incidents: IncidentsDep,
    orchestrator: OrchestratorDep,
    request: Request,
    response: Response,
) -> IntakeResponse:
    """Submit an incident request (idempotent on event_id). Stored even while the orchestrator is
    down; the response then says processing is delayed."""
    outcome = incidents.submit(event)
    delay = orchestrator.delay_note() if orchestrator is not None else None
    status_url = request.url_for("get_incident", incident_id=outcome.incident_id).path
    run_url = request.url_for("get_run", incident_id=outcome.incident_id, run_id=outcome.run_id).path
    if not outcome.created:
        response.status_code = 200
    response.headers["Location"] = status_url
    return IntakeResponse(
        incident_id=outcome.incident_id,
        run_id=outcome.run_id,
        event_id=event.event_id,
        status=outcome.status,
        created=outcome.created,
        status_url=status_url,
        run_url=run_url,
        processing="delayed" if delay else "normal",
        processing_note=delay,
    )


@router.get("/{incident_id}", response_model=IncidentOut, responses=error_responses(404))
def get_incident(incident_id: IncidentIdPath, incidents: IncidentsDep) -> IncidentOut:
    """Incident metadata, status of its latest run, and its runs."""
    return incidents.get_incident(incident_id)


@router.get("/{incident_id}/runs/{run_id}", response_model=RunOut, responses=error_responses(404))
def get_run(incident_id: IncidentIdPath, run_id: RunIdPath, incidents: IncidentsDep) -> RunOut:
    """One run: status, Dagster run id and UI link, and the stored request."""
    return incidents.get_run(incident_id, run_id)
