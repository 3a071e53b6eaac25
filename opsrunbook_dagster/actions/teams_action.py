"""Teams: a card on the first run of an incident, and on later runs only when the finding set
changed. Teams offers no lookup, so delivery is at-most-once: the claim (``NOTIFIED#teams``,
compare-and-set on the finding set) is written before the card is sent and is only released
after a *definite* failure (the server answered with an error)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from contracts.actions import ActionStatus, ActionType, ExternalRef
from opsrunbook_dagster.actions.ledger import ActionLedger
from opsrunbook_dagster.actions.model import ActionContext, Outcome, utcnow
from opsrunbook_dagster.actions.render.http_bodies import teams_request
from opsrunbook_dagster.clients.http import HttpError
from opsrunbook_dagster.clients.teams import TeamsClient

CHANNEL = "teams"


class TeamsNotifyAction:
    action_type = ActionType.teams_notification
    finds_previous = False

    def __init__(
        self, client: TeamsClient, ledger: ActionLedger, now: Callable[[], datetime] = utcnow
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.now = now

    def run(self, ctx: ActionContext) -> Outcome:
        action_id = ctx.action.action_id
        claimed, before = self.ledger.claim_notification(
            ctx.incident_id, CHANNEL, ctx.finding_set, action_id, self.now()
        )
        if not claimed:
            by = (before or {}).get("action_id", "another action")
            return Outcome(
                ActionStatus.skipped, f"finding set unchanged since the card of {by}; not notifying again"
            )
        request = teams_request(ctx.packet, ctx.action, ctx.render)
        try:
            self.client.post(request["json"])
        except HttpError as exc:
            if not exc.ambiguous:
                self.ledger.release_notification(ctx.incident_id, CHANNEL, action_id, self.now())
            raise
        first = not before or not before.get("finding_set")
        why = (
            "card sent: first notification for this incident"
            if first
            else "card sent: the finding set changed"
        )
        return Outcome(ActionStatus.succeeded, why, ExternalRef(system="teams", id=action_id), request)
