"""The throwaway-PostgreSQL helper: URL handling, and a clear reason when there is no PostgreSQL."""

from __future__ import annotations

import pytest

from opsrunbook_dagster.sandbox import postgres
from opsrunbook_dagster.sandbox.postgres import (
    PostgresServer,
    PostgresUnavailable,
    dagster_url,
    libpq_url,
    throwaway_postgres,
    with_database,
)


def test_urls_switch_database_and_driver_but_keep_the_rest() -> None:
    url = "postgresql://u:p%40ss@db.internal:5433/postgres?sslmode=require"
    moved = with_database(url, "t_abc")
    assert moved == "postgresql://u:p%40ss@db.internal:5433/t_abc?sslmode=require"
    assert dagster_url(moved) == "postgresql+psycopg2://u:p%40ss@db.internal:5433/t_abc?sslmode=require"
    assert libpq_url(dagster_url(moved)) == moved


def test_a_given_url_is_used_without_starting_a_server() -> None:
    with throwaway_postgres({postgres.URL_ENV: "postgresql://u@h:1/postgres"}) as server:
        assert server == PostgresServer("postgresql://u@h:1/postgres")


def test_no_binaries_and_no_url_say_how_to_get_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(postgres, "DEBIAN_BIN_GLOB", "/nonexistent/postgresql/*/bin")
    with pytest.raises(PostgresUnavailable, match="apt-get install postgresql"), throwaway_postgres({}):
        pass


def test_database_names_are_checked_before_reaching_sql() -> None:
    with pytest.raises(ValueError, match="database name"):
        PostgresServer("postgresql://u@h:1/postgres").create_database('x"; DROP DATABASE y; --')
