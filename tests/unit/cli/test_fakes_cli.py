"""``opsrunbook fakes up`` pieces: the stack of three fakes and the CLI wiring."""

from __future__ import annotations

import requests

from opsrunbook_dagster.cli.fakes_cmd import DEFAULT_MAP, live_actions_env
from opsrunbook_dagster.cli.main import build_parser
from opsrunbook_dagster.fakes.stack import FakeStack, repos_from_map


def test_stack_serves_the_three_fakes_on_free_ports_with_client_settings() -> None:
    with FakeStack(ports={}, repos=repos_from_map(DEFAULT_MAP)) as stack:
        env = live_actions_env(stack)
        assert env["ACTIONS_DRY_RUN"] == "false" and env["ENABLE_GITHUB_PR_ACTION"] == "true"
        assert set(stack.urls()) == {"jira", "teams", "github"}
        assert "acme/payment-gateway" in stack.github.repos
        unauthenticated = requests.post(f"{env['JIRA_BASE_URL']}/rest/api/3/search/jql", json={}, timeout=5)
        assert unauthenticated.status_code == 401
        unsigned = requests.post(stack.urls()["teams"], json={}, timeout=5)
        assert unsigned.status_code == 401


def test_cli_registers_fakes_up_and_demo_live_actions() -> None:
    parser = build_parser()
    assert parser.parse_args(["fakes", "up", "--jira-port", "0"]).jira_port == 0
    assert parser.parse_args(["demo", "--live-actions"]).live_actions is True
    assert parser.parse_args(["demo"]).live_actions is False
