"""Annotated dependencies: the shared context, the services, and the API-key check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from opsrunbook_api.api.errors import ApiError
from opsrunbook_api.core.config import Settings
from opsrunbook_api.core.security import KeyCheck, check_api_key
from opsrunbook_api.services.artifacts import ArtifactService
from opsrunbook_api.services.context import ApiContext
from opsrunbook_api.services.health import HealthService
from opsrunbook_api.services.incident_list import IncidentListService
from opsrunbook_api.services.incidents import IncidentService
from opsrunbook_api.services.orchestrator import OrchestratorStatus
from opsrunbook_api.services.replays import ReplayService
from opsrunbook_api.services.webhooks import GitHubWebhookService

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <API key>`")


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def get_settings(context: ContextDep) -> Settings:
    return context.settings


def get_incidents(context: ContextDep) -> IncidentService:
    return context.incidents


def get_incident_list(context: ContextDep) -> IncidentListService:
    return context.incident_list


def get_artifacts(context: ContextDep) -> ArtifactService:
    return context.artifacts


def get_replays(context: ContextDep) -> ReplayService:
    return context.replays


def get_webhooks(context: ContextDep) -> GitHubWebhookService:
    return context.webhooks


def get_health(context: ContextDep) -> HealthService:
    return context.health


def get_orchestrator(context: ContextDep) -> OrchestratorStatus | None:
    return context.orchestrator


SettingsDep = Annotated[Settings, Depends(get_settings)]
IncidentsDep = Annotated[IncidentService, Depends(get_incidents)]
IncidentListDep = Annotated[IncidentListService, Depends(get_incident_list)]
ArtifactsDep = Annotated[ArtifactService, Depends(get_artifacts)]
ReplaysDep = Annotated[ReplayService, Depends(get_replays)]
WebhooksDep = Annotated[GitHubWebhookService, Depends(get_webhooks)]
HealthDep = Annotated[HealthService, Depends(get_health)]
OrchestratorDep = Annotated[OrchestratorStatus | None, Depends(get_orchestrator)]


def authenticate(context: ApiContext, candidate: str | None) -> None:
    """401 without a key, 403 with a key that matches none of the configured ones."""
    outcome = check_api_key(candidate, context.api_keys)
    if outcome is KeyCheck.missing:
        raise ApiError(
            401,
            "an API key is required (Authorization: Bearer <key> or X-API-Key: <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if outcome is KeyCheck.invalid:
        raise ApiError(403, "the API key is not valid")


def key_from_headers(request: Request) -> str | None:
    """The key as ``require_api_key``'s security schemes read it (X-API-Key first, then Bearer)."""
    given = request.headers.get("x-api-key")
    if given:
        return given
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def require_api_key(
    context: ContextDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> None:
    """The key check as a dependency (and the security schemes in the OpenAPI document)."""
    candidate = api_key or (bearer.credentials if bearer and bearer.scheme.lower() == "bearer" else None)
    authenticate(context, candidate)
