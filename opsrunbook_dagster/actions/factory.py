"""Build the live action runner from configuration (only when actions really execute)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from contracts.actions import ActionType
from opsrunbook_dagster.actions.github_action import GitHubPullRequestAction
from opsrunbook_dagster.actions.jira_action import JiraTicketAction
from opsrunbook_dagster.actions.lease import LeaseKeeper
from opsrunbook_dagster.actions.ledger import ActionLedger
from opsrunbook_dagster.actions.model import ActionHandler, utcnow
from opsrunbook_dagster.actions.render.http_bodies import RenderContext
from opsrunbook_dagster.actions.runner import ActionRunner
from opsrunbook_dagster.actions.teams_action import TeamsNotifyAction
from opsrunbook_dagster.clients.config import ActionConfig
from opsrunbook_dagster.clients.github import GitHubClient
from opsrunbook_dagster.clients.github_app import AppAuth, GitHubConfigError
from opsrunbook_dagster.clients.http import AfterWrite, Pacing, RetryPolicy
from opsrunbook_dagster.clients.jira import JiraClient
from opsrunbook_dagster.clients.teams import TeamsClient


@dataclass
class RuntimeOptions:
    """Knobs tests and operators may turn; the defaults suit production."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    after_write: AfterWrite | None = None
    now: Callable[[], datetime] = utcnow
    #: Every wait (HTTP retries, waiting for a claim) goes through this: tests pass a fake clock's.
    sleep: Callable[[float], None] = time.sleep
    lease_seconds: float = 120.0
    at_most_once_timeout: float = 900.0
    #: How long a worker waits for another worker's claim on the same incident and action type.
    claim_wait_seconds: float = 60.0
    #: Lease renewal period while a call runs (None: a quarter of the lease).
    heartbeat_seconds: float | None = None


def build_runner(
    config: ActionConfig, ledger: ActionLedger, options: RuntimeOptions | None = None
) -> ActionRunner:
    options = options or RuntimeOptions()
    keeper = LeaseKeeper()
    pacing = Pacing(sleep=options.sleep, before_wait=keeper.before_wait, guard=keeper.guard)
    handlers: dict[ActionType, ActionHandler] = {}
    unavailable: dict[ActionType, str] = {}
    jira = config.jira()
    if isinstance(jira, str):
        unavailable[ActionType.jira_ticket] = jira
    else:
        handlers[ActionType.jira_ticket] = JiraTicketAction(
            JiraClient(jira, options.policy, options.after_write, pacing)
        )
    teams = config.teams_url()
    if isinstance(teams, str):
        unavailable[ActionType.teams_notification] = teams
    else:
        client = TeamsClient(teams, options.policy, options.after_write, pacing)
        handlers[ActionType.teams_notification] = TeamsNotifyAction(client, ledger, options.now)
    github = config.github()
    try:
        if isinstance(github, str):
            raise GitHubConfigError(github)
        auth = AppAuth(github, options.policy, pacing=pacing)
        github_client = GitHubClient(auth, options.policy, options.after_write, pacing)
        handlers[ActionType.github_pr] = GitHubPullRequestAction(github_client)
    except GitHubConfigError as exc:
        unavailable[ActionType.github_pr] = str(exc)
    return ActionRunner(
        ledger,
        handlers,
        lease_seconds=options.lease_seconds,
        at_most_once_timeout=options.at_most_once_timeout,
        now=options.now,
        unavailable=unavailable,
        keeper=keeper,
        sleep=options.sleep,
        claim_wait_seconds=options.claim_wait_seconds,
        heartbeat_seconds=options.heartbeat_seconds,
    )


def render_context(config: ActionConfig, links: dict[str, str] | None = None) -> RenderContext:
    return RenderContext(
        jira_project_key=config.get("jira_project_key") or "OPS",
        jira_issue_type=config.get("jira_issue_type") or "Incident",
        links=dict(links or {}),
    )
