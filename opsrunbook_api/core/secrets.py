"""Secrets from settings, else one SSM parameter read on first use (and cached once it succeeds)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr


class SecretUnavailable(RuntimeError):
    """The secret is not configured and could not be read from SSM."""


@dataclass
class SecretSource:
    """A secret given directly (``value``) or stored in SSM under ``parameter``."""

    name: str
    value: SecretStr | None
    parameter: str
    ssm: Callable[[], Any]
    _cached: str | None = field(default=None, init=False, repr=False)
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
        with self._lock:
            if self._cached is None:
                self._cached = self._read()
            return self._cached

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
