"""Evidence snapshots and evidence objects of an incident's latest run that has them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from contracts.snapshot import EvidenceSnapshotV1
from opsrunbook_api.api.auth_route import AuthFirstRoute
from opsrunbook_api.api.deps import ArtifactsDep, require_api_key
from opsrunbook_api.api.documents import DOCUMENT_HEADERS, document_response
from opsrunbook_api.api.params import IncidentIdPath
from opsrunbook_api.schemas.artifacts import EvidenceOut
from opsrunbook_api.schemas.common import error_responses

router = APIRouter(
    prefix="/v1/incidents",
    tags=["evidence"],
    dependencies=[Depends(require_api_key)],
    route_class=AuthFirstRoute,
    responses=error_responses(401, 403, 429, 404, 422, 500, 503),
)


@router.get(
    "/{incident_id}/snapshot/latest",
    response_class=Response,
    responses={
        200: {"model": EvidenceSnapshotV1, "description": "evidence_snapshot.v1", "headers": DOCUMENT_HEADERS}
    },
)
def get_latest_snapshot(incident_id: IncidentIdPath, artifacts: ArtifactsDep) -> Response:
    """Snapshot manifest of the latest run that has one, as stored."""
    return document_response(artifacts.latest_snapshot(incident_id))


@router.get("/{incident_id}/evidence", response_model=EvidenceOut)
def get_evidence(
    incident_id: IncidentIdPath,
    artifacts: ArtifactsDep,
    collector: Annotated[
        Literal["logs", "metrics", "stepfn"] | None, Query(description="Only this collector")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Cut rows/series/executions to this many")] = 200,
) -> EvidenceOut:
    """Evidence objects of the latest snapshot, long lists cut to `limit` (and said so)."""
    return artifacts.evidence(incident_id, collector, limit)
