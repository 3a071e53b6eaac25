"""Every router of the API, in the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from opsrunbook_api.api.routes import actions, evidence, health, incidents, packets, replays, webhooks

api_router = APIRouter()
for module in (incidents, evidence, packets, actions, replays, webhooks, health):
    api_router.include_router(module.router)
