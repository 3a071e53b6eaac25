"""Charts of metric findings (PNG), as the pipeline stored them beside the packet."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from opsrunbook_api.api.deps import ArtifactsDep, require_api_key
from opsrunbook_api.api.documents import DOCUMENT_HEADERS, document_response
from opsrunbook_api.api.params import FindingIdPath, IncidentIdPath
from opsrunbook_api.schemas.common import error_responses

router = APIRouter(
    prefix="/v1/incidents",
    tags=["packets"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 403, 404, 422, 500, 503),
)
CHART_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The chart: series, baseline band, incident window, anomalous span",
        "headers": DOCUMENT_HEADERS,
    }
}


@router.get("/{incident_id}/charts/{finding_id}.png", response_class=Response, responses=CHART_RESPONSE)
def get_chart(incident_id: IncidentIdPath, finding_id: FindingIdPath, artifacts: ArtifactsDep) -> Response:
    """Chart of a metric finding from the latest run that has one; 404 when it has none."""
    return document_response(artifacts.latest_chart(incident_id, finding_id), media_type="image/png")
