"""Jira: one ticket per incident, found by its label; a comment only when the finding set changed.

- ``POST /rest/api/3/search/jql`` on ``labels = "opsrunbook-incident-<id>"``: the lookup that makes
  a repeated attempt (after a crash) find the ticket instead of creating another.
- none → ``POST /rest/api/3/issue`` carrying the finding-set label ``opsrunbook-fs-<12 hex>``.
- found, same finding-set label → nothing to do.
- every branch: the run's charts are attached unless the issue already lists an attachment of
  that file name (``GET …?fields=attachment`` first; ``{finding_id}.png`` is the key).
- found, other finding set → one ADF comment (skipped if a comment with this action's marker is
  already there: a crash between comment and label), then the finding-set label is replaced.
"""

from __future__ import annotations

from contracts.actions import ActionStatus, ActionType, ExternalRef
from opsrunbook_dagster.actions.model import ActionContext, Outcome
from opsrunbook_dagster.actions.render.adf import adf_plain_text
from opsrunbook_dagster.actions.render.http_bodies import (
    ChartNote,
    fs_label,
    jira_attachment_request,
    jira_comment_request,
    jira_issue_request,
    jira_search_request,
)
from opsrunbook_dagster.clients.jira import JiraClient

FS_PREFIX = "opsrunbook-fs-"


def comment_marker(action_id: str, finding_set: str) -> str:
    return f"opsrunbook action {action_id} · finding set {finding_set[:12]}"


class JiraTicketAction:
    action_type = ActionType.jira_ticket
    finds_previous = True

    def __init__(self, client: JiraClient) -> None:
        self.client = client

    def _ref(self, issue_id: str, key: str) -> ExternalRef:
        return ExternalRef(system="jira", id=issue_id, key=key, url=self.client.browse_url(key))

    def attach_charts(self, key: str, ctx: ActionContext) -> str:
        """Attach each chart not yet on the issue. The file name (the finding id, a content hash)
        is the attachment's deterministic key: the issue's attachment list is read first, so a
        retry after a crash at any point never attaches a chart twice."""
        if not ctx.charts:
            return ""
        present = {str(a.get("filename")) for a in self.client.attachments(key)}
        added = [c for c in ctx.charts if c.filename not in present]
        for chart in added:
            self.client.attach(key, chart.filename, chart.png)
        return f"; {len(added)} chart(s) attached, {len(ctx.charts) - len(added)} already there"

    def _attachment_requests(self, key: str, ctx: ActionContext) -> list[dict[str, object]]:
        notes = [ChartNote(c.filename, c.title, c.sha256, len(c.png)) for c in ctx.charts]
        return [jira_attachment_request(key, n) for n in notes]

    def run(self, ctx: ActionContext) -> Outcome:
        render = ctx.render
        issues = self.client.search(jira_search_request(ctx.incident_id))
        label = fs_label(ctx.finding_set)
        if not issues:
            request = jira_issue_request(ctx.packet, ctx.action, ctx.finding_set, render)
            created = self.client.send(request)
            key = str(created["key"])
            attached = self.attach_charts(key, ctx)
            if ctx.charts:
                request["followed_by"] = self._attachment_requests(key, ctx)
            return Outcome(
                ActionStatus.succeeded,
                f"created {key}{attached}",
                self._ref(str(created["id"]), key),
                request,
            )
        issue = issues[0]
        key, issue_id = str(issue["key"]), str(issue["id"])
        labels = list((issue.get("fields") or {}).get("labels") or [])
        previous = sorted(x for x in labels if x.startswith(FS_PREFIX))
        extra = (
            f" ({len(issues)} tickets carry the incident label; using the oldest)" if len(issues) > 1 else ""
        )
        attached = self.attach_charts(key, ctx)
        if label in labels:
            return Outcome(
                ActionStatus.succeeded,
                f"{key} is up to date for this finding set{extra}{attached}",
                self._ref(issue_id, key),
            )
        marker = comment_marker(ctx.action.action_id, ctx.finding_set)
        request = jira_comment_request(
            key, ctx.packet, marker, ", ".join(p.removeprefix(FS_PREFIX) for p in previous) or None, render
        )
        already = any(marker in adf_plain_text(c.get("body")) for c in self.client.comments(key))
        if not already:
            self.client.send(request)
        self.client.set_fs_label(key, label, previous)
        done = "comment already present" if already else "commented"
        return Outcome(
            ActionStatus.succeeded,
            f"{done} on {key}: the finding set changed{extra}{attached}",
            self._ref(issue_id, key),
            request,
        )
