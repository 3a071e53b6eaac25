"""Keeping a claim's lease alive while the external call runs.

A call may legitimately last longer than the lease: three 429s with ``Retry-After: 60`` are 180 s
of waiting inside one request. So the lease is renewed — conditionally on the fencing token —
(1) before every wait the HTTP layer makes, by the wait's length plus a full lease, and (2) by a
heartbeat thread every ``heartbeat_seconds`` (slow answers without retries). A renewal that fails
means another worker took the claim over: the lease is *lost*, and the worker stops before its
next request (``LeaseLost``) instead of creating a duplicate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from opsrunbook_dagster.actions.claims import Claim, ClaimStore

log = logging.getLogger("opsrunbook.actions")


class LeaseLost(Exception):
    """Another worker holds this incident's claim now: stop, send nothing more, record nothing."""


class Lease:
    def __init__(
        self,
        store: ClaimStore,
        claim: Claim,
        lease_seconds: float,
        now: Callable[[], datetime],
        heartbeat_seconds: float,
    ) -> None:
        self.store, self.claim = store, claim
        self.lease_seconds, self.now, self.heartbeat_seconds = lease_seconds, now, heartbeat_seconds
        self.lost = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def extend(self, extra_seconds: float = 0.0) -> None:
        """Renew to now + ``extra_seconds`` + a full lease; ``LeaseLost`` if the token moved on."""
        with self._lock:
            if self.lost:
                raise LeaseLost(f"claim {self.claim.sk} token {self.claim.token} was taken over")
            until = self.now() + timedelta(seconds=self.lease_seconds + extra_seconds)
            if not self.store.renew(self.claim, until):
                self.lost = True
                raise LeaseLost(f"claim {self.claim.sk} token {self.claim.token} was taken over")

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(f"claim {self.claim.sk} token {self.claim.token} was taken over")

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                self.extend()
            except LeaseLost:
                return
            except Exception:  # DynamoDB unreachable for a moment: the next beat tries again
                log.warning("lease renewal of %s failed", self.claim.sk, exc_info=True)

    def __enter__(self) -> Lease:
        if self.heartbeat_seconds > 0:
            self._thread = threading.Thread(target=self._beat, name="opsrunbook-lease", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


class LeaseKeeper:
    """The lease of the action a runner is executing (one at a time), for the HTTP clients' hooks."""

    def __init__(self) -> None:
        self.current: Lease | None = None

    def before_wait(self, seconds: float) -> None:
        if self.current is not None:
            self.current.extend(seconds)

    def guard(self) -> None:
        if self.current is not None:
            self.current.check()

    @contextmanager
    def holding(self, lease: Lease) -> Iterator[Lease]:
        self.current = lease
        try:
            with lease:
                yield lease
        finally:
            self.current = None
