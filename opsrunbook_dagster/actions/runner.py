"""Exactly-once execution of one planned action, per incident and action type.

1. Read the ``ACTION#`` row. SUCCEEDED or SENT_OR_LOST → return what it recorded (no call).
2. Acquire the incident's claim for this action type (``claims.py``: fencing token, lease),
   waiting up to ``claim_wait_seconds`` while another worker — another run of the same incident,
   or another materialization of this one — holds it; still held → ``pending``, nothing sent.
3. Holding the claim, read the row again. PENDING (an attempt that never recorded its outcome):
   - handlers that find their earlier work (Jira label search, GitHub branch/PR by head) take the
     row over — the claim proves the previous worker's lease expired — and their lookups
     prevent a duplicate;
   - Teams has no lookup: the card may or may not have gone out, so it is never resent — after
     ``at_most_once_timeout`` the row becomes SENT_OR_LOST (at-most-once delivery).
4. Conditionally write PENDING with attempt n+1 and the token (intent) *before* the call; run the
   handler while the lease is kept alive (``lease.py``); write SUCCEEDED/SKIPPED or FAILED
   conditionally on attempt *and* token. A worker whose lease was taken over records nothing and
   reports ``pending`` (the row belongs to the worker that took over).

A crash between the call and step 4's last write leaves PENDING and a claim whose lease runs out;
the next attempt finds the ticket/PR instead of creating another.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from contracts.actions import ActionError, ActionResultV1, ActionStatus, ActionType, ExternalRef
from opsrunbook_dagster.actions import ledger as rows
from opsrunbook_dagster.actions.claims import Claim, ClaimStore
from opsrunbook_dagster.actions.lease import Lease, LeaseKeeper, LeaseLost
from opsrunbook_dagster.actions.ledger import ActionLedger
from opsrunbook_dagster.actions.model import ActionContext, ActionHandler, utcnow
from opsrunbook_dagster.clients.http import HttpError
from opsrunbook_dagster.clients.secrets import redact

log = logging.getLogger("opsrunbook.actions")

_ROW_STATUS = {
    rows.SUCCEEDED: ActionStatus.succeeded,
    rows.SKIPPED: ActionStatus.skipped,
    rows.FAILED: ActionStatus.failed,
    rows.SENT_OR_LOST: ActionStatus.skipped,
    rows.PENDING: ActionStatus.pending,
}


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _ref_values(ref: ExternalRef | None) -> dict[str, Any]:
    if ref is None:
        return {}
    return {"external_ref": ref.model_dump(exclude_none=True)}


class ActionRunner:
    def __init__(
        self,
        ledger: ActionLedger,
        handlers: Mapping[ActionType, ActionHandler],
        *,
        lease_seconds: float = 120.0,
        at_most_once_timeout: float = 900.0,
        now: Callable[[], datetime] = utcnow,
        unavailable: Mapping[ActionType, str] | None = None,
        claims: ClaimStore | None = None,
        keeper: LeaseKeeper | None = None,
        sleep: Callable[[float], None] = time.sleep,
        claim_wait_seconds: float = 60.0,
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.ledger = ledger
        self.handlers = dict(handlers)
        self.lease_seconds = lease_seconds
        self.at_most_once_timeout = at_most_once_timeout
        self.now = now
        self.unavailable = dict(unavailable or {})
        self.claims = claims or ClaimStore(ledger.dynamodb, ledger.table)
        self.keeper = keeper or LeaseKeeper()
        self.sleep = sleep
        self.claim_wait_seconds = claim_wait_seconds
        self.heartbeat_seconds = lease_seconds / 4 if heartbeat_seconds is None else heartbeat_seconds

    def run(self, ctx: ActionContext) -> ActionResultV1:
        action, incident_id = ctx.action, ctx.incident_id
        base: dict[str, Any] = {
            "action_id": action.action_id,
            "idempotency_key": action.idempotency_key,
            "incident_id": incident_id,
            "run_id": ctx.plan.run_id,
            "action_type": action.action_type,
            "started_at": self.now(),
        }
        handler = self.handlers.get(action.action_type)
        if handler is None:
            why = self.unavailable.get(action.action_type, "no client configured")
            identity = {"run_id": ctx.plan.run_id, "action_type": action.action_type.value}
            self.ledger.note(
                incident_id, action.action_id, rows.FAILED, self.now(), reason=why, error_code="not_configured",
                idempotency_key=action.idempotency_key, **identity,
            )  # fmt: skip
            return self._result(
                base, ActionStatus.failed, why, error=ActionError(code="not_configured", message=why)
            )
        row = self.ledger.get(incident_id, action.action_id)
        if row and row.get("status") in rows.FINAL:
            return self._from_row(base, row, "recorded earlier")
        claim = self._acquire(incident_id, action.action_id, action.action_type)
        if claim is None:
            held = self.claims.get(incident_id, action.action_type.value) or {}
            base["attempt"] = int((row or {}).get("attempt", 1))
            why = (
                f"another worker holds this incident's {action.action_type.value} claim "
                f"(token {held.get('token', '?')}, action {held.get('holder', '?')}); not sent"
            )
            return self._result(base, ActionStatus.pending, why)
        result = self._run_claimed(ctx, base, handler, claim)
        self.claims.release(claim)  # conditional on the token: a no-op if the claim was taken over
        return result

    def _acquire(self, incident_id: str, action_id: str, action_type: ActionType) -> Claim | None:
        waited = 0.0
        while True:
            claim = self.claims.acquire(
                incident_id, action_type.value, action_id, self.now(), self.lease_seconds
            )
            if claim is not None or waited >= self.claim_wait_seconds:
                return claim
            step = min(1.0, self.claim_wait_seconds - waited)
            self.sleep(step)
            waited += step

    def _run_claimed(
        self, ctx: ActionContext, base: dict[str, Any], handler: ActionHandler, claim: Claim
    ) -> ActionResultV1:
        action, incident_id = ctx.action, ctx.incident_id
        row = self.ledger.get(incident_id, action.action_id)  # again: the previous holder may have finished
        status = (row or {}).get("status")
        if row and status in rows.FINAL:
            return self._from_row(base, row, "recorded earlier")
        if row and status == rows.PENDING and not handler.finds_previous:
            return self._unknown_fate(base, row, claim)
        previous = int(row["attempt"]) if row and "attempt" in row else None
        attempt = (previous or 0) + 1
        identity = {
            "run_id": ctx.plan.run_id,
            "action_type": action.action_type.value,
            "idempotency_key": action.idempotency_key,
            "token": claim.token,
        }
        if not self.ledger.begin(incident_id, action.action_id, attempt, previous, self.now(), **identity):
            latest = self.ledger.get(incident_id, action.action_id) or {}
            return self._from_row(base, latest, "another worker owns this action")
        base["attempt"] = attempt
        lease = Lease(self.claims, claim, self.lease_seconds, self.now, self.heartbeat_seconds)
        try:
            with self.keeper.holding(lease):
                outcome = handler.run(ctx)
        except LeaseLost as exc:
            return self._lost(base, str(exc))
        except HttpError as exc:
            return self._failed(base, handler, claim, exc.code, exc.message, exc.ambiguous)
        except Exception as exc:  # a bug or bad configuration: record it, let the other actions run
            log.exception("action %s failed", action.action_id)
            return self._failed(base, handler, claim, "error", redact(f"{type(exc).__name__}: {exc}"), False)
        row_status = rows.SUCCEEDED if outcome.status == ActionStatus.succeeded else rows.SKIPPED
        recorded = self.ledger.finish(
            incident_id,
            action.action_id,
            attempt,
            row_status,
            self.now(),
            fence=(claim.sk, claim.token),
            reason=outcome.reason[:1024],
            **_ref_values(outcome.external_ref),
        )
        if not recorded:
            return self._lost(base, f"the row moved past attempt {attempt} / token {claim.token}")
        return self._result(
            base, outcome.status, outcome.reason, ref=outcome.external_ref, request=outcome.request
        )

    def _lost(self, base: dict[str, Any], detail: str) -> ActionResultV1:
        """This worker's lease was taken over: what it did is the new holder's to find and record."""
        why = f"lease lost before recording the outcome ({detail}); the worker that took over records it"
        return self._result(base, ActionStatus.pending, why)

    def _unknown_fate(self, base: dict[str, Any], row: dict[str, Any], claim: Claim) -> ActionResultV1:
        """An at-most-once action's earlier attempt never recorded its outcome: never resent."""
        attempt = int(row.get("attempt", 1))
        since = str(row.get("pending_at", ""))
        age = (self.now() - _parse(since)).total_seconds() if since else float("inf")
        base["attempt"] = attempt
        if age < self.at_most_once_timeout:
            why = f"attempt {attempt} in flight since {since}; never resent (at-most-once)"
            return self._result(base, ActionStatus.pending, why)
        why = (
            f"attempt {attempt} started {since} and never recorded an outcome: sent or lost "
            "(at-most-once, not resent)"
        )
        if not self.ledger.finish(
            base["incident_id"], base["action_id"], attempt, rows.SENT_OR_LOST, self.now(),
            fence=(claim.sk, claim.token), reason=why,
        ):  # fmt: skip
            return self._from_row(
                base, self.ledger.get(base["incident_id"], base["action_id"]) or {}, "moved on"
            )
        return self._result(base, ActionStatus.skipped, why)

    def _failed(
        self,
        base: dict[str, Any],
        handler: ActionHandler,
        claim: Claim,
        code: str,
        message: str,
        ambiguous: bool,
    ) -> ActionResultV1:
        message = redact(message)[:1024]
        if ambiguous and not handler.finds_previous:
            status, why = (
                rows.SENT_OR_LOST,
                "outcome unknown (may have been delivered); not resent (at-most-once)",
            )
        else:
            status, why = rows.FAILED, f"failed: {code}"
        recorded = self.ledger.finish(
            base["incident_id"], base["action_id"], base["attempt"], status, self.now(),
            fence=(claim.sk, claim.token), reason=why, error_code=code, error_message=message,
        )  # fmt: skip
        if not recorded:
            return self._lost(base, f"{code}; the row moved past attempt {base['attempt']}")
        return self._result(base, ActionStatus.failed, why, error=ActionError(code=code, message=message))

    def _from_row(self, base: dict[str, Any], row: dict[str, Any], note: str) -> ActionResultV1:
        status = _ROW_STATUS.get(str(row.get("status")), ActionStatus.pending)
        ref = ExternalRef.model_validate(row["external_ref"]) if row.get("external_ref") else None
        error = None
        if row.get("error_code"):
            error = ActionError(code=str(row["error_code"]), message=str(row.get("error_message", ""))[:1024])
        base["attempt"] = int(row.get("attempt", 1))
        reason = f"{note} (attempt {base['attempt']}): {row.get('reason', '')}"
        return self._result(base, status, reason, ref=ref, error=error)

    def _result(
        self,
        base: dict[str, Any],
        status: ActionStatus,
        reason: str,
        *,
        ref: ExternalRef | None = None,
        request: dict[str, Any] | None = None,
        error: ActionError | None = None,
    ) -> ActionResultV1:
        return ActionResultV1(
            **base,
            status=status,
            reason=reason[:1024],
            external_ref=ref,
            request=request,
            error=error,
            finished_at=self.now(),
        )
