"""A GitHub delivery: verify, classify, normalize, store once (the PR-review sensor takes it from there)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from opsrunbook_api.core.secrets import SecretSource
from opsrunbook_api.github import signature
from opsrunbook_api.services.errors import BadRequest, Invalid, InvalidSignature
from opsrunbook_dagster.pr_review.normalize import Ignored, PayloadError, normalize, parse_payload
from opsrunbook_dagster.stores.deliveries import DeliveryStore

DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
EVENT_NAME = re.compile(r"^[a-z0-9_]{1,64}$")


@dataclass(frozen=True)
class Delivery:
    body: bytes
    event: str | None
    delivery_id: str | None
    signature: str | None
    content_type: str | None


@dataclass(frozen=True)
class Outcome:
    status: Literal["accepted", "duplicate", "ignored", "pong"]
    event: str
    delivery_id: str
    action: str | None = None
    reason: str | None = None


@dataclass
class GitHubWebhookService:
    secret: SecretSource
    deliveries: DeliveryStore
    previous_secret: SecretSource | None = None

    def _signed(self, delivery: Delivery, header: str) -> bool:
        """The current secret, else (during a rotation) the previous one."""
        if signature.verify(delivery.body, header, self.secret.get()):
            return True
        previous = self.previous_secret.get() if self.previous_secret is not None else ""
        return bool(previous) and signature.verify(delivery.body, header, previous)

    def receive(self, delivery: Delivery) -> Outcome:
        """Nothing is stored unless the signature matches and the event is one we act on."""
        if not delivery.signature:
            raise InvalidSignature("X-Hub-Signature-256 header is missing")
        if not self._signed(delivery, delivery.signature):
            raise InvalidSignature("X-Hub-Signature-256 does not match the body")
        event, delivery_id = delivery.event, delivery.delivery_id
        if not event or not EVENT_NAME.match(event):
            raise BadRequest("X-GitHub-Event header is missing or malformed")
        if not delivery_id or not DELIVERY_ID.match(delivery_id):
            raise BadRequest("X-GitHub-Delivery header is missing or malformed")
        if event == "ping":
            return Outcome("pong", event, delivery_id)
        try:
            payload = parse_payload(delivery.body, delivery.content_type)
        except PayloadError as exc:
            raise BadRequest(str(exc)) from exc
        action = payload.get("action") if isinstance(payload.get("action"), str) else None
        try:
            normalized = normalize(event, delivery_id, payload, datetime.now(UTC))
        except PayloadError as exc:
            raise Invalid(str(exc), {"event": event, "action": action}) from exc
        if isinstance(normalized, Ignored):
            return Outcome("ignored", event, delivery_id, action, normalized.reason)
        stored = self.deliveries.record(normalized, hashlib.sha256(delivery.body).hexdigest())
        return Outcome("accepted" if stored else "duplicate", event, delivery_id, action)
