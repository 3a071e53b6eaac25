"""Incident packets (findings, hypotheses, next actions) and the charts of their metric findings, as stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from contracts.packet import IncidentPacketV1
from opsrunbook_api.api.auth_route import AuthFirstRoute
from opsrunbook_api.api.deps import ArtifactsDep, require_api_key
from opsrunbook_api.api.documents import DOCUMENT_HEADERS, document_response
from opsrunbook_api.api.params import FindingIdPath, IncidentIdPath, RunIdPath
from opsrunbook_api.schemas.common import error_responses

router = APIRouter(
    prefix="/v1/incidents",
    tags=["packets"],
    dependencies=[Depends(require_api_key)],
    route_class=AuthFirstRoute,
    responses=error_responses(401, 403, 429, 404, 422, 500, 503),
)
PACKET_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"model": IncidentPacketV1, "description": "incident_packet.v1", "headers": DOCUMENT_HEADERS}
}
CHART_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The chart: series, baseline band, incident window, anomalous span",
        "headers": DOCUMENT_HEADERS,
    }
}


@router.get("/{incident_id}/packet/latest", response_class=Response, responses=PACKET_RESPONSE)
def get_latest_packet(incident_id: IncidentIdPath, artifacts: ArtifactsDep) -> Response:
    """Packet of the latest run that has one."""
    return document_response(artifacts.latest_packet(incident_id))


@router.get("/{incident_id}/packet/{run_id}", response_class=Response, responses=PACKET_RESPONSE)
def get_packet(incident_id: IncidentIdPath, run_id: RunIdPath, artifacts: ArtifactsDep) -> Response:
    """Packet of one run."""
    return document_response(artifacts.packet(incident_id, run_id))


@router.get("/{incident_id}/charts/{finding_id}.png", response_class=Response, responses=CHART_RESPONSE)
def get_chart(incident_id: IncidentIdPath, finding_id: FindingIdPath, artifacts: ArtifactsDep) -> Response:
    """Chart of a metric finding from the latest run that has one; 404 when it has none."""
    return document_response(artifacts.latest_chart(incident_id, finding_id), media_type="image/png")
