"""The forkserver's preload module: it warms the AWS models, and a failure to do so never stops it
(Python's forkserver dies on any preload exception but ImportError, and with it every run)."""

from __future__ import annotations

import gc
import importlib
import logging
import sys

import pytest

from opsrunbook_dagster.aws import clients

MODULE = "opsrunbook_dagster.aws.forkserver_preload"


def _import_fresh(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Import the module anew; what it asked of the garbage collector (the test process's own
    collector is left alone)."""
    asked: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: asked.append("freeze"))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    importlib.import_module(MODULE)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return asked


def test_importing_it_preloads_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        clients, "preload_service_models", lambda services=clients.RUN_SERVICES: calls.append(services)
    )
    assert _import_fresh(monkeypatch) == ["freeze"]
    assert calls == [clients.RUN_SERVICES]


def test_a_failed_preload_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(services: tuple[str, ...] = clients.RUN_SERVICES) -> None:
        raise RuntimeError("botocore data missing")

    monkeypatch.setattr(clients, "preload_service_models", broken)
    with caplog.at_level(logging.WARNING):
        asked = _import_fresh(monkeypatch)
    assert "AWS service models not preloaded" in caplog.text
    assert asked == ["freeze"]  # what was imported is still worth freezing
    assert "botocore data missing" in caplog.text


def test_the_real_preload_reads_botocore_files_only() -> None:
    clients.preload_service_models()  # no credentials, no endpoint: raises if it needed either
