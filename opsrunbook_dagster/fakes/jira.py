"""A Jira Cloud REST v3 fake: issues, labels, comments and attachments in memory; every body validated
(ADF against the published schema, fields against Jira's rules), Basic auth enforced."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from opsrunbook_dagster.fakes.base import FakeApp, HttpError, Request, Response
from opsrunbook_dagster.fakes.multipart import multipart_files
from opsrunbook_dagster.fakes.reference import adf_validator

PRIORITIES = frozenset({"Highest", "High", "Medium", "Low", "Lowest"})
ISSUE_TYPES = frozenset({"Incident", "Bug", "Task"})
_LABEL_CLAUSE = re.compile(r'labels\s*=\s*"?([^"\s)]+)"?', re.I)
_PROJECT_CLAUSE = re.compile(r'project\s*=\s*"?([A-Z][A-Z0-9_]+)"?', re.I)


class JiraFake(FakeApp):
    name = "jira"

    def __init__(self, email: str, api_token: str, projects: tuple[str, ...] = ("OPS",)) -> None:
        super().__init__()
        self._auth = "Basic " + base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self.projects = set(projects)
        self.issues: dict[str, dict[str, Any]] = {}
        self.adf = adf_validator()
        self._seq = 0
        self.route("POST", "/rest/api/3/search/jql", self.search)
        self.route("POST", "/rest/api/3/issue", self.create)
        self.route("GET", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]+-\d+)", self.get)
        self.route("PUT", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]+-\d+)", self.edit)
        self.route("GET", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]+-\d+)/comment", self.comments)
        self.route("POST", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]+-\d+)/comment", self.comment)
        self.route("POST", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]+-\d+)/attachments", self.attach)

    def error_body(self, message: str) -> Any:
        return {"errorMessages": [message], "errors": {}}

    def dispatch(self, request: Request) -> Response:
        if request.headers.get("Authorization") != self._auth:
            return Response(401, self.error_body("Client must be authenticated to access this resource."))
        return super().dispatch(request)

    # ---- helpers -------------------------------------------------------------------------
    def browse_url(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    def _issue(self, key: str) -> dict[str, Any]:
        issue = self.issues.get(key)
        if issue is None:
            raise HttpError(
                404, self.error_body("Issue does not exist or you do not have permission to see it.")
            )
        return issue

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise self.reject(400, "request body is not JSON") from None
        if not isinstance(body, dict):
            raise self.reject(400, "request body must be a JSON object")
        return body

    def _check_adf(self, document: Any, field: str) -> None:
        errors = self.adf.errors(document)
        if errors:
            raise self.reject(400, f"{field}: {errors[0]}")

    def _check_labels(self, labels: Any) -> None:
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise self.reject(400, "labels must be a list of strings")
        for label in labels:
            if not label or len(label) > 255 or re.search(r"\s", label):
                raise self.reject(400, f"label {label!r}: no spaces, 1-255 characters")

    def _view(self, issue: dict[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
        shown = {k: v for k, v in issue["fields"].items() if fields is None or k in fields}
        return {"id": issue["id"], "key": issue["key"], "self": issue["self"], "fields": shown}

    # ---- routes --------------------------------------------------------------------------
    def search(self, request: Request) -> Response:
        body = self._body(request)
        jql = body.get("jql")
        if not isinstance(jql, str) or not jql.strip():
            raise self.reject(400, "jql is required")
        unknown = set(body) - {"jql", "fields", "maxResults", "nextPageToken", "expand", "properties"}
        if unknown:
            raise self.reject(400, f"unknown search fields {sorted(unknown)}")
        labels = _LABEL_CLAUSE.findall(jql)
        projects = _PROJECT_CLAUSE.findall(jql)
        found = [
            issue
            for issue in self.issues.values()
            if all(label in issue["fields"]["labels"] for label in labels)
            and (not projects or issue["fields"]["project"]["key"] in projects)
        ]
        found.sort(key=lambda i: int(i["id"]))
        limit = int(body.get("maxResults") or 50)
        fields = body.get("fields")
        return Response(200, {"issues": [self._view(i, fields) for i in found[:limit]], "isLast": True})

    def create(self, request: Request) -> Response:
        body = self._body(request)
        fields = body.get("fields")
        if not isinstance(fields, dict):
            raise self.reject(400, "fields is required")
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            raise self.reject(400, f"project {project!r} does not exist")
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            raise self.reject(400, "issuetype.name must be a valid issue type")
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 255 or "\n" in summary:
            raise self.reject(400, "summary: required, one line, at most 255 characters")
        if "priority" in fields and (fields["priority"] or {}).get("name") not in PRIORITIES:
            raise self.reject(400, "priority.name is not a valid priority")
        self._check_labels(fields.get("labels", []))
        if "description" in fields:
            self._check_adf(fields["description"], "description")
        allowed = {"project", "issuetype", "summary", "priority", "labels", "description"}
        if set(fields) - allowed:
            raise self.reject(400, f"fields not on the create screen: {sorted(set(fields) - allowed)}")
        self._seq += 1
        issue_id = str(10000 + self._seq)
        key = f"{project}-{self._seq}"
        self.issues[key] = {
            "id": issue_id,
            "key": key,
            "self": f"{self.base_url}/rest/api/3/issue/{issue_id}",
            "fields": {
                **fields,
                "labels": list(fields.get("labels", [])),
                "status": {"name": "Open"},
                "attachment": [],
            },
            "comments": [],
        }
        return Response(201, {"id": issue_id, "key": key, "self": self.issues[key]["self"]})

    def get(self, request: Request, key: str) -> Response:
        fields = request.arg("fields")
        wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        return Response(200, self._view(self._issue(key), wanted))

    def attach(self, request: Request, key: str) -> Response:
        issue = self._issue(key)
        if request.headers.get("X-Atlassian-Token") != "no-check":
            raise self.reject(403, "XSRF check failed: X-Atlassian-Token: no-check is required")
        added = []
        for part in multipart_files(request, self.reject):
            record = {
                "id": str(30000 + sum(len(i["fields"]["attachment"]) for i in self.issues.values()) + 1),
                "filename": part.filename,
                "mimeType": part.content_type,
                "size": len(part.body),
                "sha256": hashlib.sha256(part.body).hexdigest(),
            }
            record["content"] = f"{self.base_url}/rest/api/3/attachment/content/{record['id']}"
            issue["fields"]["attachment"].append(record)
            added.append(record)
        return Response(200, added)

    def edit(self, request: Request, key: str) -> Response:
        issue = self._issue(key)
        body = self._body(request)
        if set(body) - {"fields", "update"}:
            raise self.reject(400, "edit accepts fields and update only")
        labels = list(issue["fields"]["labels"])
        if "labels" in (body.get("fields") or {}):
            self._check_labels(body["fields"]["labels"])
            labels = list(body["fields"]["labels"])
        for operation in (body.get("update") or {}).get("labels", []):
            if (
                not isinstance(operation, dict)
                or len(operation) != 1
                or next(iter(operation))
                not in (
                    "add",
                    "remove",
                    "set",
                )
            ):
                raise self.reject(400, "label operations are {add|remove|set: value}")
            verb, value = next(iter(operation.items()))
            self._check_labels([value] if verb != "set" else value)
            if verb == "add" and value not in labels:
                labels.append(value)
            elif verb == "remove" and value in labels:
                labels.remove(value)
            elif verb == "set":
                labels = list(value)
        issue["fields"]["labels"] = labels
        return Response(204)

    def comments(self, request: Request, key: str) -> Response:
        issue = self._issue(key)
        start = int(request.arg("startAt", "0") or 0)
        limit = int(request.arg("maxResults", "50") or 50)
        ordered = issue["comments"][::-1] if request.arg("orderBy") == "-created" else issue["comments"]
        page = ordered[start : start + limit]
        return Response(
            200, {"startAt": start, "maxResults": limit, "total": len(issue["comments"]), "comments": page}
        )

    def comment(self, request: Request, key: str) -> Response:
        issue = self._issue(key)
        body = self._body(request)
        if "body" not in body:
            raise self.reject(400, "comment body is required")
        self._check_adf(body["body"], "comment body")
        comment_id = str(20000 + sum(len(i["comments"]) for i in self.issues.values()) + 1)
        comment = {"id": comment_id, "self": f"{issue['self']}/comment/{comment_id}", "body": body["body"]}
        issue["comments"].append(comment)
        return Response(201, comment)
