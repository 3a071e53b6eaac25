"""``opsrunbook fakes up``: local Jira, Teams and GitHub fakes that validate every request.

Also the helpers ``opsrunbook demo --live-actions`` uses to run the demo against them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from opsrunbook_dagster.cli.errors import bad_input_exits_2
from opsrunbook_dagster.cli.signals import install_stop_event
from opsrunbook_dagster.cli.stack import REPO_ROOT
from opsrunbook_dagster.fakes.reference import adf_validator
from opsrunbook_dagster.fakes.stack import FakeStack, repos_from_map

DEFAULT_MAP = REPO_ROOT / "infra" / "repo-map.yaml"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_stack(repo_map: Path = DEFAULT_MAP, ports: dict[str, int] | None = None) -> FakeStack:
    stack = FakeStack(repos=repos_from_map(repo_map))
    if ports is not None:
        stack.ports = ports
    return stack.start()


def live_actions_env(stack: FakeStack, repo_map: Path = DEFAULT_MAP) -> dict[str, str]:
    """Environment for a Dagster deployment whose actions really go to the fakes."""
    return {
        **stack.env(),
        "ACTIONS_DRY_RUN": "false",
        "AUTOMATION_ENABLED": "true",
        "ENABLE_GITHUB_PR_ACTION": "true",
        "OPSRUNBOOK_REPO_MAP": str(repo_map),
        "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP": "true",  # the fakes speak plain http on 127.0.0.1
    }


def describe_results(results: list[Any], stack: FakeStack) -> list[str]:
    """One line per action result, plus what the fakes now hold."""
    lines = []
    for result in results:
        ref = result.external_ref
        where = f" {ref.key or ref.id} {ref.url or ''}".rstrip() if ref else ""
        lines.append(f"  {result.action_type.value}: {result.status.value}{where} ({result.reason[:160]})")
    teams = stack.servers["teams"].app
    lines.append(f"  Teams cards received: {len(getattr(teams, 'cards', []))}")
    return lines


@bad_input_exits_2
def cmd_up(args: argparse.Namespace) -> int:
    stop = install_stop_event()
    ports = {"jira": args.jira_port, "teams": args.teams_port, "github": args.github_port}
    stack = start_stack(Path(args.repo_map), ports)
    try:
        for name, url in stack.urls().items():
            _say(f"{name:7s} {url}")
        _say(f"GitHub repositories: {', '.join(sorted(stack.github.repos)) or '(none)'}")
        _say(f"Jira ADF validation: {adf_validator().source}")
        spec = "GitHub OpenAPI description" if stack.github.spec else "none (OpenAPI description absent)"
        _say(f"GitHub request/response validation: {spec}")
        env = stack.env()
        if args.env_file:
            path = Path(args.env_file)
            path.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
            os.chmod(path, 0o600)
            _say(f"client settings (throwaway credentials) written to {path}")
        if args.print_env:
            for key, value in env.items():
                print(f"export {key}='{value}'")
            sys.stdout.flush()
        _say("fakes running; press Ctrl-C to stop")
        stop.wait()
    finally:
        stack.stop()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fakes = sub.add_parser("fakes", help="local Jira / Teams / GitHub fakes")
    actions = fakes.add_subparsers(dest="fakes_command", required=True)
    up = actions.add_parser("up", help="start the three fakes and print their URLs")
    up.add_argument("--jira-port", type=int, default=8081)
    up.add_argument("--teams-port", type=int, default=8082)
    up.add_argument("--github-port", type=int, default=8083)
    up.add_argument("--repo-map", default=str(DEFAULT_MAP), help="seed the GitHub fake with its repositories")
    up.add_argument("--env-file", help="write the client settings (throwaway credentials) to this file")
    up.add_argument("--print-env", action="store_true", help="print `export` lines for the client settings")
    up.set_defaults(func=cmd_up)
