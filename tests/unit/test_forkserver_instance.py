"""The forkserver's instance preload: opened once from the launcher's ref, and a failure to open it
never stops the forkserver (Python's forkserver dies on any preload exception but ImportError)."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._serdes import serialize_value

from opsrunbook_dagster import run_worker

MODULE = "opsrunbook_dagster.forkserver_instance"


def _import_fresh(monkeypatch: pytest.MonkeyPatch, ref: str | None) -> None:
    monkeypatch.setattr(run_worker, "_warm", None)
    if ref is None:
        monkeypatch.delenv(run_worker.INSTANCE_REF_ENV, raising=False)
    else:
        monkeypatch.setenv(run_worker.INSTANCE_REF_ENV, ref)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    importlib.import_module(MODULE)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)


def _ref(home: Path) -> str:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with DagsterInstance.from_config(str(home)) as instance:
        return serialize_value(instance.get_ref())


def test_the_instance_of_the_ref_is_opened_and_reused_for_that_ref_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ref = _ref(tmp_path / "a")
    _import_fresh(monkeypatch, ref)
    assert run_worker._warm is not None
    warm = run_worker._warm[1]
    assert run_worker.open_instance(ref) is warm
    other = run_worker.open_instance(_ref(tmp_path / "b"))
    assert other is not warm
    assert other.root_directory == str(tmp_path / "b")


def test_without_a_ref_nothing_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    _import_fresh(monkeypatch, None)
    assert run_worker._warm is None


def test_a_ref_that_does_not_open_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        _import_fresh(monkeypatch, '{"__class__": "NoSuchRef"}')
    assert run_worker._warm is None
    assert "Dagster instance not preloaded" in caplog.text
