"""GitHub webhooks: verified, de-duplicated on the delivery id, normalized and stored for a sensor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from opsrunbook_api.api.deps import WebhooksDep
from opsrunbook_api.schemas.common import error_responses
from opsrunbook_api.schemas.webhooks import WebhookAck
from opsrunbook_api.services.webhooks import Delivery

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    """The body exactly as received: the signature covers these bytes."""
    return await request.body()


@router.post(
    "/github",
    status_code=202,
    response_model=WebhookAck,
    responses={
        202: {"description": "Accepted (stored for the PR-review sensor) or ignored"},
        200: {"model": WebhookAck, "description": "`ping`, or a redelivery of a stored delivery"},
        **error_responses(400, 401, 413, 422, 503),
    },
)
def github_webhook(
    webhooks: WebhooksDep,
    body: Annotated[bytes, Depends(raw_body)],
    response: Response,
    x_github_event: Annotated[str | None, Header(description="e.g. `pull_request_review`")] = None,
    x_github_delivery: Annotated[str | None, Header(description="Delivery GUID")] = None,
    x_hub_signature_256: Annotated[str | None, Header(description="`sha256=<hex HMAC of the body>`")] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> WebhookAck:
    """Receive a GitHub webhook delivery (HMAC-verified; stores PR review events)."""
    outcome = webhooks.receive(
        Delivery(body, x_github_event, x_github_delivery, x_hub_signature_256, content_type)
    )
    if outcome.status in ("pong", "duplicate"):
        response.status_code = 200
    return WebhookAck(
        status=outcome.status,
        delivery_id=outcome.delivery_id,
        event=outcome.event,
        action=outcome.action,
        reason=outcome.reason,
    )
