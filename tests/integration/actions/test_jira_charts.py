"""Charts attached to the Jira ticket exactly once, even across a crash after the upload."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
import requests

from contracts.actions import ActionStatus, ActionType
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.actions.render.adf import adf_plain_text
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.charts import stored_charts
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from tests.actions_support import (
    FAST,
    JIRA_EMAIL,
    JIRA_TOKEN,
    Clock,
    CrashAfter,
    SimulatedCrash,
    config,
    new_incident,
    store,
)
from tests.charts_support import chart_packet
from tests.conftest import isolated

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actjirach-"))


def _runtime(jira: FakeServer, clock: Clock, crash: CrashAfter | None = None) -> ActionsRuntime:
    # the fake validates ADF against the full published schema: ~2 s a document on a loaded machine
    options = RuntimeOptions(policy=replace(FAST, read_timeout=20.0), after_write=crash, now=clock)
    return ActionsRuntime(config=config(jira=jira.url), options=options)


@pytest.mark.parametrize("crash_after", [1, 2], ids=["after-create", "after-upload"])
def test_crash_then_retry_leaves_each_chart_on_the_ticket_exactly_once(
    deps: PipelineDeps, jira_fake: FakeServer, crash_after: int
) -> None:
    incident = new_incident(f"jira-charts-{crash_after}")
    pkt = chart_packet(deps, incident)
    store(deps, pkt)
    clock = Clock()
    with pytest.raises(SimulatedCrash):  # 1: the ticket exists, no chart yet; 2: the chart is up, unrecorded
        results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock, CrashAfter(crash_after)))
    clock.advance(600)  # the crashed attempt's lease expires
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock))
    jira = next(r for r in results if r.action_type == ActionType.jira_ticket)
    assert jira.status == ActionStatus.succeeded and jira.attempt == 2
    key = jira.external_ref.key  # type: ignore[union-attr]
    charts = stored_charts(deps, pkt)
    assert len(charts) == 1
    issue = jira_fake.app.issues[key]  # type: ignore[attr-defined]
    attached = issue["fields"]["attachment"]
    assert [(a["filename"], a["sha256"], a["mimeType"]) for a in attached] == [
        (charts[0].filename, hashlib.sha256(charts[0].png).hexdigest(), "image/png")
    ]
    expected = (
        "0 chart(s) attached, 1 already there" if crash_after == 2 else "1 chart(s) attached, 0 already"
    )
    assert expected in jira.reason
    assert charts[0].filename in adf_plain_text(issue["fields"]["description"])
    uploads = jira_fake.app.requests_for("POST", rf"/issue/{key}/attachments$")
    assert len(uploads) == 1 and uploads[0].headers["X-Atlassian-Token"] == "no-check"
    listed = requests.get(
        f"{jira_fake.url}/rest/api/3/issue/{key}",
        params={"fields": "attachment"},
        auth=(JIRA_EMAIL, JIRA_TOKEN),
        timeout=5,
    ).json()
    assert set(listed["fields"]) == {"attachment"} and len(listed["fields"]["attachment"]) == 1
    assert jira_fake.app.violations == []


def test_the_fake_rejects_attachments_without_the_header_or_not_png(jira_fake: FakeServer) -> None:
    app = jira_fake.app
    app.issues["OPS-900"] = {"id": "10900", "key": "OPS-900", "self": "x", "comments": [],
                             "fields": {"labels": [], "attachment": []}}  # fmt: skip
    url, auth = f"{jira_fake.url}/rest/api/3/issue/OPS-900/attachments", (JIRA_EMAIL, JIRA_TOKEN)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 16
    no_header = requests.post(url, files={"file": ("a.png", png, "image/png")}, auth=auth, timeout=5)
    not_png = requests.post(url, files={"file": ("a.png", b"GIF89a", "image/png")}, auth=auth,
                            headers={"X-Atlassian-Token": "no-check"}, timeout=5)  # fmt: skip
    wrong_field = requests.post(url, files={"upload": ("a.png", png, "image/png")}, auth=auth,
                                headers={"X-Atlassian-Token": "no-check"}, timeout=5)  # fmt: skip
    assert (no_header.status_code, not_png.status_code, wrong_field.status_code) == (403, 400, 400)
    assert app.issues["OPS-900"]["fields"]["attachment"] == []  # type: ignore[attr-defined]
    assert len(app.violations) == 3
    app.violations.clear()
    del app.issues["OPS-900"]  # type: ignore[attr-defined]
