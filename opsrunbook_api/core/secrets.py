"""Secrets from settings, else an SSM parameter cached for ``ttl`` seconds.

A revoked API key stops working and a rotated webhook secret starts working within one TTL,
without a restart. When a refresh fails (SSM down, throttled) the last good value is served
and the refresh is retried after another TTL; while one request refreshes, the others get
the cached value at once (nobody queues behind the lock). Only the very first read, with
nothing cached, blocks and fails closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

log = logging.getLogger(__name__)


class SecretUnavailable(RuntimeError):
    """The secret is not configured and could not be read from SSM."""


@dataclass
class SecretSource:
    """A secret given directly (``value``) or stored in SSM under ``parameter``."""

    name: str
    value: SecretStr | None
    parameter: str
    ssm: Callable[[], Any]
    ttl: float = 60.0
    optional: bool = False  # a missing parameter reads as "" (e.g. no previous webhook secret)
    clock: Callable[[], float] = time.monotonic
    _cached: str | None = field(default=None, init=False, repr=False)
    _expires: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def origin(self) -> str:
        return "env" if self.value is not None else f"ssm:{self.parameter}"

    @property
    def loaded(self) -> bool:
        return self.value is not None or self._cached is not None

    def get(self) -> str:
        if self.value is not None:
            return self.value.get_secret_value()
        cached = self._cached
        if cached is not None and self.clock() < self._expires:
            return cached
        if cached is not None:
            # stale: one caller refreshes, everyone else serves the last good value meanwhile
            if not self._lock.acquire(blocking=False):
                return cached
            try:
                return self._refresh(cached)
            finally:
                self._lock.release()
        with self._lock:
            if self._cached is not None:
                return self._cached
            return self._refresh(None)

    def _refresh(self, stale: str | None) -> str:
        try:
            fresh = self._read()
        except SecretUnavailable:
            if stale is None and not self.optional:
                raise
            if stale is not None:
                log.warning("%s: refresh from SSM failed, serving the last good value", self.name)
            self._cached, self._expires = stale or "", self.clock() + self.ttl
            return self._cached
        self._cached, self._expires = fresh, self.clock() + self.ttl
        return fresh

    def _read(self) -> str:
        client = self.ssm()
        try:
            response = client.get_parameter(Name=self.parameter, WithDecryption=True)
        except Exception as exc:  # any failure: not configured, no access, endpoint down
            raise SecretUnavailable(f"{self.name} not configured") from exc
        return str(response["Parameter"]["Value"])


def split_keys(raw: str) -> tuple[str, ...]:
    """Comma-separated keys, blanks dropped."""
    return tuple(k.strip() for k in raw.split(",") if k.strip())
