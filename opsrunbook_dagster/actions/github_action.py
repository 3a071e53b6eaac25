"""GitHub: one branch, one file and one open pull request per incident, found again on retry.

Gate first (see ``resolution.gate``): below ``PR_CONFIDENCE_THRESHOLD`` after stack-frame
verification the action is skipped with the reason. Then, each step a lookup before a write:
default branch → ``opsrunbook/incident-<id>`` (created if missing) → ``incidents/<id>.md``
and its charts ``incidents/<id>/<finding_id>.png`` (each written only if its content differs,
with the blob sha on update) → the open PR for that head
(created if none, title/body updated if changed) → labels. A crash anywhere leaves state the next
attempt recognises, so a retried run never opens a second pull request.
"""

from __future__ import annotations

from typing import Any

from contracts.actions import ActionStatus, ActionType, ExternalRef
from opsrunbook_dagster.actions.model import ActionContext, Outcome
from opsrunbook_dagster.actions.render.http_bodies import (
    chart_path,
    github_pr_request,
    github_put_request,
    incident_path,
    pr_labels,
)
from opsrunbook_dagster.actions.render.markdown import incident_markdown
from opsrunbook_dagster.clients.github import GitHubClient
from opsrunbook_dagster.clients.http import HttpError
from opsrunbook_dagster.clients.paths import repo_path
from opsrunbook_dagster.resolution.frames import extract_frames
from opsrunbook_dagster.resolution.gate import Candidate, candidates, static_gate, verify


class GitHubPullRequestAction:
    action_type = ActionType.github_pr
    finds_previous = True

    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def _exists(self, repo: str, path: str) -> bool | None:
        try:
            return self.client.exists(repo, path)
        except HttpError as exc:
            if exc.status in (401, 403, 404):
                return None
            raise

    def resolve(self, ctx: ActionContext) -> tuple[Candidate | None, str]:
        threshold = ctx.plan.flags.pr_confidence_threshold
        chosen, why = static_gate(ctx.packet, threshold)
        found = candidates(ctx.packet)
        if chosen is not None or not found:
            return chosen, why
        frames = extract_frames(ctx.evidence_lines())
        if not frames:
            return None, f"{why}; no application stack frames in the evidence to verify"
        verified, notes = verify(found, frames, self._exists)
        if verified is not None and verified.confidence >= threshold:
            return verified, f"{verified.describe()}: {verified.reasons[0]}"
        if verified is not None:
            return None, f"{why}; verified {verified.describe()} is still below {threshold:g}"
        checked = ", ".join(c.repo for c in found[:3])
        extra = f" ({'; '.join(sorted(set(notes)))})" if notes else ""
        return None, f"{why}; none of {len(frames)} stack frame file(s) found in {checked}{extra}"

    def run(self, ctx: ActionContext) -> Outcome:
        chosen, why = self.resolve(ctx)
        if chosen is None:
            return Outcome(ActionStatus.skipped, why)
        repo, packet = chosen.repo, ctx.packet
        branch = str(ctx.action.inputs["branch"])
        base = str(self.client.repository(repo)["default_branch"])
        steps = []
        if self.client.branch_sha(repo, branch) is None:
            base_sha = self.client.branch_sha(repo, base)
            if base_sha is None:
                raise HttpError(
                    "no_default_branch", f"{repo}: default branch {base} not found", ambiguous=False
                )
            steps.append(
                "branch created" if self.client.create_branch(repo, branch, base_sha) else "branch found"
            )
        for chart in ctx.charts:  # first, so the report never links a chart that is not there
            self._write(repo, branch, chart_path(packet.incident_id, chart.filename), chart.png, ctx, steps)
        titles = ctx.render.chart_titles()
        path = incident_path(packet.incident_id)
        self._write(repo, branch, path, incident_markdown(packet, titles).encode("utf-8"), ctx, steps)
        request = github_pr_request(packet, repo, branch, base, ctx.finding_set, ctx.render)
        pull = self._open_pull(repo, branch, request, steps)
        missing = [
            label for label in pr_labels(packet) if label not in {x["name"] for x in pull.get("labels", [])}
        ]
        if missing:
            self.client.send(
                repo,
                {
                    "method": "POST",
                    "path": repo_path(repo, "issues", str(pull["number"]), "labels"),
                    "json": {"labels": missing},
                },
                safe=True,
            )
        ref = ExternalRef(
            system="github", id=str(pull["number"]), key=f"{repo}#{pull['number']}", url=pull["html_url"]
        )
        return Outcome(ActionStatus.succeeded, f"{why}; {', '.join(steps)}", ref, request)

    def _write(
        self, repo: str, branch: str, path: str, content: bytes, ctx: ActionContext, steps: list[str]
    ) -> None:
        """Look before writing: the file is written only when missing or different (blob sha on update)."""
        current = self.client.file(repo, path, ref=branch)
        if current is not None and current[1] == content:
            return
        request = github_put_request(ctx.packet, repo, branch, path, content, current[0] if current else None)
        self.client.send(repo, request, safe=False)
        steps.append(f"{path} {'updated' if current else 'added'}")

    def _open_pull(self, repo: str, branch: str, request: dict[str, Any], steps: list[str]) -> dict[str, Any]:
        existing = self.client.open_pulls(repo, branch)
        if not existing:
            created = self.client.send(repo, request, safe=False, expect=(422,))
            if isinstance(created, dict) and "number" in created:
                steps.append(f"PR #{created['number']} opened")
                return created
            existing = self.client.open_pulls(repo, branch)  # 422: one exists after all (a race)
            if not existing:
                raise HttpError(
                    "http_422",
                    f"POST github/repos/{repo}/pulls -> 422: {created}"[:900],
                    ambiguous=False,
                    status=422,
                )
        pull = existing[0]
        wanted = {k: request["json"][k] for k in ("title", "body")}
        if any(pull.get(k) != v for k, v in wanted.items()):
            path = repo_path(repo, "pulls", str(pull["number"]))
            pull = self.client.send(repo, {"method": "PATCH", "path": path, "json": wanted})
            steps.append(f"PR #{pull['number']} updated")
        else:
            steps.append(f"PR #{pull['number']} found")
        return dict(pull)
