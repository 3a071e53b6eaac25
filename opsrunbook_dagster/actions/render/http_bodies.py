"""The exact HTTP requests each action sends: the live clients send these bodies, and a dry run
records them verbatim (with ``${…}`` placeholders where only a secret or the remote state knows
the value)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from contracts.actions import ActionPlanV1, ActionType, PlannedAction
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.adf import adf_comment, adf_description
from opsrunbook_dagster.actions.render.cards import teams_message
from opsrunbook_dagster.actions.render.markdown import incident_markdown, pr_body, pr_title

PRIORITY = {"critical": "Highest", "warning": "High", "info": "Medium"}
Request = dict[str, Any]


@dataclass(frozen=True)
class RenderContext:
    """What the requests need beyond packet and plan; defaults are the dry-run placeholders."""

    jira_project_key: str = "${JIRA_PROJECT_KEY}"
    jira_issue_type: str = "Incident"
    default_branch: str = "${DEFAULT_BRANCH}"
    links: Mapping[str, str] = field(default_factory=dict)
    #: The run's charts (file name, finding title, sha256, size), attached/committed beside the text.
    charts: tuple[ChartNote, ...] = ()

    def chart_titles(self) -> list[tuple[str, str]]:
        return [(c.filename, c.title) for c in self.charts]


@dataclass(frozen=True)
class ChartNote:
    filename: str
    title: str
    sha256: str
    size: int


def incident_label(incident_id: str) -> str:
    return f"opsrunbook-incident-{incident_id}"


def fs_label(finding_set_sha256: str) -> str:
    """Label carrying the finding set a ticket was last updated for."""
    return f"opsrunbook-fs-{finding_set_sha256[:12]}"


def incident_path(incident_id: str) -> str:
    return f"incidents/{incident_id}.md"


def jira_search_request(incident_id: str) -> Request:
    jql = f'labels = "{incident_label(incident_id)}" ORDER BY created ASC'
    return {
        "method": "POST",
        "path": "/rest/api/3/search/jql",
        "json": {"jql": jql, "fields": ["labels", "summary", "status"], "maxResults": 10},
    }


def jira_issue_request(
    packet: IncidentPacketV1, action: PlannedAction, finding_set_sha256: str, ctx: RenderContext
) -> Request:
    labels = [*action.inputs["labels"], fs_label(finding_set_sha256)]
    return {
        "method": "POST",
        "path": "/rest/api/3/issue",
        "json": {
            "fields": {
                "project": {"key": ctx.jira_project_key},
                "issuetype": {"name": ctx.jira_issue_type},
                "summary": " ".join(str(action.inputs["summary"]).split())[:255],
                "priority": {"name": PRIORITY[packet.severity.value]},
                "labels": labels,
                "description": adf_description(packet, ctx.links, ctx.chart_titles()),
            }
        },
    }


def jira_comment_request(
    key: str, packet: IncidentPacketV1, marker: str, previous: str | None, ctx: RenderContext
) -> Request:
    return {
        "method": "POST",
        "path": f"/rest/api/3/issue/{quote(key, safe='')}/comment",
        "json": {"body": adf_comment(packet, marker, previous, ctx.links, ctx.chart_titles())},
    }


def jira_attachment_request(key: str, chart: ChartNote) -> Request:
    """``POST …/attachments`` (multipart ``file``); a dry run records this description of it."""
    return {
        "method": "POST",
        "path": f"/rest/api/3/issue/{key}/attachments",
        "headers": {"X-Atlassian-Token": "no-check"},
        "multipart": {"file": {"filename": chart.filename, "content_type": "image/png",
                               "sha256": chart.sha256, "bytes": chart.size}},
    }  # fmt: skip


def teams_request(packet: IncidentPacketV1, action: PlannedAction, ctx: RenderContext) -> Request:
    return {
        "method": "POST",
        "path": "${TEAMS_WORKFLOW_URL}",
        "json": teams_message(packet, str(action.inputs["title"]), ctx.links),
    }


def chart_path(incident_id: str, filename: str) -> str:
    return f"incidents/{incident_id}/{filename}"


def github_put_request(
    packet: IncidentPacketV1, repo: str, branch: str, path: str, content: bytes, blob_sha: str | None = None
) -> Request:
    """``PUT /repos/{repo}/contents/{path}`` (text or binary: the contents API takes base64)."""
    body = {
        "message": f"opsrunbook: incident {packet.incident_id} (run {packet.run_id})",
        "content": base64.b64encode(content).decode("ascii"),
        "branch": branch,
    }
    if blob_sha:
        body["sha"] = blob_sha
    return {"method": "PUT", "path": f"/repos/{repo}/contents/{path}", "json": body}


def github_file_request(
    packet: IncidentPacketV1,
    repo: str,
    branch: str,
    blob_sha: str | None = None,
    charts: Sequence[tuple[str, str]] = (),
) -> Request:
    content = incident_markdown(packet, charts).encode("utf-8")
    return github_put_request(packet, repo, branch, incident_path(packet.incident_id), content, blob_sha)


def github_chart_request(packet: IncidentPacketV1, repo: str, branch: str, chart: ChartNote) -> Request:
    """What a dry run records for a chart file (its bytes are not in the record: sha256 and size)."""
    path = chart_path(packet.incident_id, chart.filename)
    return {
        "method": "PUT",
        "path": f"/repos/{repo}/contents/{path}",
        "json": {"message": f"opsrunbook: incident {packet.incident_id} (run {packet.run_id})",
                 "content": f"${{BASE64 of {chart.filename}: sha256 {chart.sha256}, {chart.size} bytes}}",
                 "branch": branch},
    }  # fmt: skip


def github_pr_request(
    packet: IncidentPacketV1, repo: str, branch: str, base: str, finding_set_sha256: str, ctx: RenderContext
) -> Request:
    path = incident_path(packet.incident_id)
    return {
        "method": "POST",
        "path": f"/repos/{repo}/pulls",
        "json": {
            "title": pr_title(packet),
            "head": branch,
            "base": base,
            "body": pr_body(packet, path, finding_set_sha256, ctx.links),
        },
    }


def pr_labels(packet: IncidentPacketV1) -> list[str]:
    return ["opsrunbook", f"severity:{packet.severity.value}"]


def github_request(
    packet: IncidentPacketV1, action: PlannedAction, finding_set_sha256: str, ctx: RenderContext
) -> Request:
    """The pull request, preceded by the branch and file it needs (as sent for a new incident)."""
    repo = action.inputs.get("repo") or "${REPO}"
    branch = str(action.inputs["branch"])
    request = github_pr_request(packet, repo, branch, ctx.default_branch, finding_set_sha256, ctx)
    request["preceded_by"] = [
        {
            "method": "POST",
            "path": f"/repos/{repo}/git/refs",
            "json": {"ref": f"refs/heads/{branch}", "sha": "${DEFAULT_BRANCH_SHA}"},
        },
        *[github_chart_request(packet, repo, branch, c) for c in ctx.charts],
        github_file_request(packet, repo, branch, charts=ctx.chart_titles()),
    ]
    request["followed_by"] = [
        {
            "method": "POST",
            "path": f"/repos/{repo}/issues/${{PR_NUMBER}}/labels",
            "json": {"labels": pr_labels(packet)},
        }
    ]
    return request


def render_request(
    packet: IncidentPacketV1, plan: ActionPlanV1, action: PlannedAction, ctx: RenderContext | None = None
) -> Request:
    ctx = ctx or RenderContext()
    fset = plan.finding_set_sha256
    if action.action_type == ActionType.jira_ticket:
        request = jira_issue_request(packet, action, fset, ctx)
        request["preceded_by"] = [jira_search_request(packet.incident_id)]
        if ctx.charts:
            request["followed_by"] = [jira_attachment_request("${ISSUE_KEY}", c) for c in ctx.charts]
        return request
    if action.action_type == ActionType.teams_notification:
        return teams_request(packet, action, ctx)
    return github_request(packet, action, fset, ctx)
