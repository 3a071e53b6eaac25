"""Incident intake and incident/run status."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import AwareDatetime, BeforeValidator

from contracts.incident_event import IncidentEventV1
from opsrunbook_api.api.auth_route import AuthFirstRoute
from opsrunbook_api.api.deps import IncidentListDep, IncidentsDep, OrchestratorDep, require_api_key
from opsrunbook_api.api.params import IncidentIdPath, RunIdPath
from opsrunbook_api.examples import INCIDENT_EVENT_EXAMPLES
from opsrunbook_api.schemas.common import error_responses
from opsrunbook_api.schemas.incidents import IncidentListOut, IncidentOut, IntakeResponse, RunOut, RunStatus
from opsrunbook_dagster.stores.incident_listing import ListFilters

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def iso_datetime_text(value: object) -> object:
    """Only an ISO 8601 date-time (Pydantic alone would also take a number as a Unix time)."""
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return value
    raise ValueError("must be an ISO 8601 date-time with a time zone, e.g. 2026-11-26T12:00:00Z")


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


@router.get("", response_model=IncidentListOut)
def list_incidents(
    incidents: IncidentListDep,
    status: Annotated[RunStatus | None, Query(description="Status of the latest run")] = None,
    service: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._/-]+$")] = None,
    environment: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    ] = None,
    since: Annotated[
        AwareDatetime | None,
        BeforeValidator(iso_datetime_text),
        Query(description="Created at or after (ISO 8601 with zone)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page")
    ] = None,
) -> IncidentListOut:
    """Incidents, newest first, optionally filtered; follow `next_cursor` with the same filters."""
    filters = ListFilters(status=status, service=service, environment=environment, since=since)
    return incidents.list(filters, limit, cursor)


@router.get("/{incident_id}", response_model=IncidentOut, responses=error_responses(404))
def get_incident(incident_id: IncidentIdPath, incidents: IncidentsDep) -> IncidentOut:
    """Incident metadata, status of its latest run, and its runs."""
    return incidents.get_incident(incident_id)


@router.get("/{incident_id}/runs/{run_id}", response_model=RunOut, responses=error_responses(404))
def get_run(incident_id: IncidentIdPath, run_id: RunIdPath, incidents: IncidentsDep) -> RunOut:
    """One run: status, Dagster run id and UI link, and the stored request."""
    return incidents.get_run(incident_id, run_id)
