"""SecretSource: TTL, last good value on failure, nobody queues behind a slow refresh."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from opsrunbook_api.core.secrets import SecretSource, SecretUnavailable


class _Ssm:
    """Stands in for the SSM client object handed to SecretSource (not a patched boto3 client)."""

    def __init__(self, value: str | None) -> None:
        self.value, self.calls = value, 0
        self.gate: threading.Event | None = None

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(5)
        if self.value is None:
            raise RuntimeError("ThrottlingException")
        return {"Parameter": {"Value": self.value}}


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ttl_refresh_and_last_good_value() -> None:
    ssm, clock = _Ssm("k1"), _Clock()
    source = SecretSource("API keys", None, "/p", lambda: ssm, ttl=60, clock=clock)
    assert source.get() == "k1"
    ssm.value = "k2"
    clock.now = 59
    assert source.get() == "k1" and ssm.calls == 1
    clock.now = 61
    assert source.get() == "k2" and ssm.calls == 2
    ssm.value = None  # SSM down
    clock.now = 130
    assert source.get() == "k2" and ssm.calls == 3
    clock.now = 131
    assert source.get() == "k2" and ssm.calls == 3, "a failed refresh is retried after another TTL"


def test_first_read_fails_closed_and_optional_reads_as_empty() -> None:
    ssm = _Ssm(None)
    with pytest.raises(SecretUnavailable):
        SecretSource("API keys", None, "/p", lambda: ssm).get()
    optional = SecretSource("previous", None, "/p", lambda: ssm, optional=True)
    assert optional.get() == "" and optional.get() == "" and ssm.calls == 2


def test_others_are_served_while_one_request_refreshes() -> None:
    ssm, clock = _Ssm("k1"), _Clock()
    source = SecretSource("API keys", None, "/p", lambda: ssm, ttl=1, clock=clock)
    assert source.get() == "k1"
    clock.now = 5
    ssm.gate, ssm.value = threading.Event(), "k2"
    slow = threading.Thread(target=source.get)
    slow.start()
    while ssm.calls < 2:
        time.sleep(0.01)
    started = time.monotonic()
    assert source.get() == "k1"  # before: blocked behind the lock for the whole SSM timeout
    assert time.monotonic() - started < 1
    ssm.gate.set()
    slow.join(5)
    assert source.get() == "k2"
