"""Webhook acknowledgement model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class WebhookAck(BaseModel):
    status: Literal["accepted", "duplicate", "ignored", "pong"]
    delivery_id: str | None = None
    event: str | None = None
    action: str | None = None
    reason: str | None = Field(default=None, description="Why a delivery was ignored.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "accepted",
                    "delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                    "event": "pull_request_review_comment",
                    "action": "created",
                }
            ]
        }
    }
