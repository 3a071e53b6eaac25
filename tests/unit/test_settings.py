"""OpsRunbookSettings.current(): one build per distinct environment, never a stale one."""

import pytest

from opsrunbook_dagster.defs.resources import deployment_settings
from opsrunbook_dagster.settings import OpsRunbookSettings


def test_the_same_environment_is_built_once() -> None:
    assert OpsRunbookSettings.current() is OpsRunbookSettings.current()
    assert deployment_settings() is OpsRunbookSettings.current()


def test_the_kill_switch_is_read_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOMATION_ENABLED", "true")
    assert deployment_settings().action_flags().automation_enabled is True
    monkeypatch.setenv("AUTOMATION_ENABLED", "false")
    assert deployment_settings().action_flags().automation_enabled is False
    monkeypatch.delenv("AUTOMATION_ENABLED")
    monkeypatch.setenv("ACTIONS_DRY_RUN", "false")
    flags = deployment_settings().action_flags()
    assert (flags.automation_enabled, flags.dry_run) == (True, False)


def test_any_variable_is_a_fresh_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSRUNBOOK_TABLE_PREFIX", "one-")
    first = OpsRunbookSettings.current()
    monkeypatch.setenv("OPSRUNBOOK_TABLE_PREFIX", "two-")
    assert (first.table_prefix, OpsRunbookSettings.current().table_prefix) == ("one-", "two-")
