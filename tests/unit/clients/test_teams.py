"""Teams card rendering and the Teams client against the Workflows fake (real HTTP)."""

from __future__ import annotations

import json
import logging

import pytest

from contracts.actions import ActionFlags
from opsrunbook_dagster.actions.render.cards import MAX_BYTES, size_of
from opsrunbook_dagster.actions.render.http_bodies import RenderContext, teams_request
from opsrunbook_dagster.clients.http import HttpError, RetryPolicy
from opsrunbook_dagster.clients.secrets import Secret
from opsrunbook_dagster.clients.teams import TeamsClient
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.planning.planner import build_plan
from tests import factories
from tests.actions_support import FAST, TEAMS_SIG, packet

LINKS = {
    "Jira OPS-1": "http://jira/browse/OPS-1",
    "Pull request acme/x#3": "https://gh/pr/3",
    "Dagster run": "http://d/runs/1",
}


def _client(server: FakeServer, sig: str = TEAMS_SIG, policy: RetryPolicy = FAST) -> TeamsClient:
    return TeamsClient(Secret(f"{server.url}/workflows/opsrunbook?sig={sig}"), policy)


def _message(**overrides: object) -> dict:  # type: ignore[type-arg]
    pkt = packet("inc-teams-1", **overrides)
    plan = build_plan(pkt, ActionFlags(dry_run=False))
    return teams_request(pkt, plan.actions[1], RenderContext(links=LINKS))["json"]  # type: ignore[no-any-return]


def test_card_is_accepted_and_carries_facts_findings_and_links(teams_fake: FakeServer) -> None:
    assert _client(teams_fake).post(_message()) == 202
    card = teams_fake.app.cards[0]  # type: ignore[attr-defined]
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert [a["url"] for a in card["actions"]] == list(LINKS.values())
    facts = {f["title"]: f["value"] for f in card["body"][3]["facts"]}
    assert facts["Service"] == "payment-gateway" and facts["Environment"] == "prod"
    assert teams_fake.app.violations == []


def test_a_huge_packet_is_cut_to_28kb_keeping_every_link(teams_fake: FakeServer) -> None:
    findings = [factories.finding(resource=f"fn-{i}", summary="x" * 16000) for i in range(12)]
    message = _message(findings=findings)
    assert size_of(message) <= MAX_BYTES
    assert [a["url"] for a in message["attachments"][0]["content"]["actions"]] == list(LINKS.values())
    assert _client(teams_fake).post(message) == 202 and teams_fake.app.violations == []
    shown = [b for b in message["attachments"][0]["content"]["body"] if b["type"] == "Container"]
    assert 1 <= len(shown) <= 5


def test_the_fake_rejects_malformed_cards(teams_fake: FakeServer) -> None:
    message = _message()
    message["attachments"][0]["content"]["version"] = "1.6"
    message["attachments"][0]["content"]["body"].append({"type": "Carousel"})
    with pytest.raises(HttpError) as error:
        _client(teams_fake).post(message)
    assert error.value.status == 400 and not error.value.ambiguous
    assert "version" in teams_fake.app.violations[0] and "Carousel" in teams_fake.app.violations[0]
    with pytest.raises(HttpError) as error:
        _client(teams_fake).post({"type": "message", "attachments": []})
    assert error.value.status == 400


def test_429_is_retried_after_retry_after_but_a_500_is_not(teams_fake: FakeServer) -> None:
    teams_fake.app.fault("status", status=429, retry_after=0.2)
    assert _client(teams_fake).post(_message()) == 202
    assert len(teams_fake.app.log) == 2
    teams_fake.app.fault("status", status=500)
    with pytest.raises(HttpError) as error:
        _client(teams_fake).post(_message())
    assert error.value.status == 500 and len(teams_fake.app.log) == 3


def test_a_timeout_is_ambiguous_and_not_resent(teams_fake: FakeServer) -> None:
    teams_fake.app.fault("delay", delay=1.0)
    with pytest.raises(HttpError) as error:
        _client(teams_fake, policy=RetryPolicy(attempts=3, read_timeout=0.3)).post(_message())
    assert error.value.ambiguous and error.value.code == "timeout"
    assert len(teams_fake.app.log) == 1


def test_the_webhook_url_never_shows_in_logs_or_errors(
    teams_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    teams_fake.app.fault("reset")
    with pytest.raises(HttpError) as error:
        _client(teams_fake).post(_message())
    _client(teams_fake).post(_message())
    assert TEAMS_SIG not in caplog.text and TEAMS_SIG not in error.value.message
    assert "teams-webhook" in error.value.message
    assert TEAMS_SIG not in json.dumps([r.headers for r in teams_fake.app.log])
