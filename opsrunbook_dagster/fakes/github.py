"""A GitHub REST fake for a GitHub App: installations and tokens (RS256 JWT verified), repos with
branches, files (git blob shas) and pull requests. Every request is checked against GitHub's
OpenAPI description, and every response is shaped by it and checked too (see ``github_spec``)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import time
from typing import Any

import jwt

from opsrunbook_dagster.fakes.base import FakeApp, HttpError, Request, Response
from opsrunbook_dagster.fakes.github_repo import FakeRepo, blob_sha, generate_app_key
from opsrunbook_dagster.fakes.github_spec import OpenApiSpec, github_spec

__all__ = ["FakeRepo", "GitHubFake", "blob_sha", "generate_app_key"]

REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"


class GitHubFake(FakeApp):
    name = "github"

    def __init__(
        self, app_id: str = "4242", token_ttl: float = 3600.0, spec: OpenApiSpec | None = None
    ) -> None:
        super().__init__()
        self.app_id = app_id
        self.key, self.private_key_b64 = generate_app_key()
        self.token_ttl = token_ttl
        self.spec = spec or github_spec()
        self.repos: dict[str, FakeRepo] = {}
        self.tokens: dict[str, tuple[int, float]] = {}
        self._ids = itertools.count(1000)
        self.route("GET", f"{REPO}/installation", self.installation)
        self.route("POST", r"/app/installations/(?P<installation>\d+)/access_tokens", self.access_token)
        self.route("GET", REPO, self.get_repo)
        self.route("GET", f"{REPO}/git/ref/(?P<ref>.+)", self.get_ref)
        self.route("POST", f"{REPO}/git/refs", self.create_ref)
        self.route("GET", f"{REPO}/contents/(?P<path>.+)", self.get_file)
        self.route("PUT", f"{REPO}/contents/(?P<path>.+)", self.put_file)
        self.route("GET", f"{REPO}/pulls", self.list_pulls)
        self.route("POST", f"{REPO}/pulls", self.create_pull)
        self.route("PATCH", rf"{REPO}/pulls/(?P<number>\d+)", self.update_pull)
        self.route("POST", rf"{REPO}/issues/(?P<number>\d+)/labels", self.add_labels)

    # ---- setup ---------------------------------------------------------------------------
    def add_repo(
        self, full_name: str, files: dict[str, str] | None = None, installation_id: int = 77
    ) -> FakeRepo:
        repo = FakeRepo(full_name=full_name, id=next(self._ids), installation_id=installation_id)
        tree = {path: text.encode() for path, text in (files or {}).items()}
        head = self._commit(repo, tree)
        repo.branches[repo.default_branch] = head
        self.repos[full_name] = repo
        return repo

    def _commit(self, repo: FakeRepo, tree: dict[str, bytes]) -> str:
        sha = hashlib.sha1(f"{repo.full_name}:{next(self._ids)}:{sorted(tree)}".encode()).hexdigest()
        repo.trees[sha] = tree
        return sha

    def file_text(self, full_name: str, path: str, branch: str) -> str | None:
        repo = self.repos[full_name]
        content = repo.trees[repo.branches[branch]].get(path)
        return content.decode() if content is not None else None

    # ---- plumbing ------------------------------------------------------------------------
    def error_body(self, message: str) -> Any:
        return {"message": message, "documentation_url": "https://docs.github.com/rest"}

    def _validation(self, message: str) -> HttpError:
        return HttpError(
            422, {**self.error_body("Validation Failed"), "errors": [{"message": message, "code": "custom"}]}
        )

    def dispatch(self, request: Request) -> Response:
        body = request.json() if request.raw else None
        if self.spec is not None:
            problems = self.spec.check_request(request.method, request.path, request.query, body)
            if problems:
                with self.lock:
                    self.violations.extend(problems)
                return Response(422, {**self.error_body("Invalid request"), "errors": problems[:5]})
        response = super().dispatch(request)
        if self.spec is not None:
            with self.lock:
                self.violations.extend(
                    self.spec.check_response(request.method, request.path, response.status, response.body)
                )
        return response

    def _shaped(self, request: Request, status: int, actual: Any, variant: str | None = None) -> Response:
        if self.spec is not None:
            actual = self.spec.shaped(request.method, request.path, status, actual, variant)
        return Response(status, actual)

    def _app_auth(self, request: Request) -> None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(
                token, self.key.public_key(), algorithms=["RS256"], issuer=self.app_id,
                options={"require": ["iat", "exp", "iss"]}, leeway=5,
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise HttpError(401, self.error_body(f"A JSON web token could not be decoded: {exc}")) from None
        if claims["exp"] - claims["iat"] > 600:
            raise HttpError(401, self.error_body("'Expiration time' claim ('exp') is too far in the future"))

    def _repo(self, request: Request, owner: str, name: str) -> FakeRepo:
        repo = self.repos.get(f"{owner}/{name}")
        token = request.headers.get("Authorization", "").split(" ", 1)[-1]
        granted = self.tokens.get(token)
        if granted is None or granted[1] < time.time():
            raise HttpError(401, self.error_body("Bad credentials"))
        if repo is None or repo.installation_id != granted[0]:
            raise HttpError(404, self.error_body("Not Found"))
        return repo

    def _url(self, repo: FakeRepo, tail: str = "") -> str:
        return f"{self.base_url}/repos/{repo.full_name}{tail}"

    # ---- app ---------------------------------------------------------------------------------
    def installation(self, request: Request, owner: str, name: str) -> Response:
        self._app_auth(request)
        repo = self.repos.get(f"{owner}/{name}")
        if repo is None:
            raise HttpError(404, self.error_body("Not Found"))
        return self._shaped(request, 200, {"id": repo.installation_id, "app_id": int(self.app_id)})

    def access_token(self, request: Request, installation: str) -> Response:
        self._app_auth(request)
        token = "ghs_" + secrets.token_hex(18)
        expires = time.time() + self.token_ttl
        self.tokens[token] = (int(installation), expires)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        return self._shaped(request, 201, {"token": token, "expires_at": stamp})

    # ---- repository ----------------------------------------------------------------------
    def get_repo(self, request: Request, owner: str, name: str) -> Response:
        repo = self._repo(request, owner, name)
        body = {
            "id": repo.id,
            "full_name": repo.full_name,
            "name": name,
            "default_branch": repo.default_branch,
        }
        return self._shaped(
            request, 200, {**body, "url": self._url(repo), "html_url": f"{self.base_url}/{repo.full_name}"}
        )

    def _ref_body(self, repo: FakeRepo, branch: str) -> dict[str, Any]:
        sha = repo.branches[branch]
        return {
            "ref": f"refs/heads/{branch}",
            "url": self._url(repo, f"/git/refs/heads/{branch}"),
            "object": {"type": "commit", "sha": sha, "url": self._url(repo, f"/git/commits/{sha}")},
        }

    def get_ref(self, request: Request, owner: str, name: str, ref: str) -> Response:
        repo = self._repo(request, owner, name)
        branch = ref.removeprefix("heads/")
        if not ref.startswith("heads/") or branch not in repo.branches:
            raise HttpError(404, self.error_body("Not Found"))
        return self._shaped(request, 200, self._ref_body(repo, branch))

    def create_ref(self, request: Request, owner: str, name: str) -> Response:
        repo = self._repo(request, owner, name)
        body = request.json()
        branch = str(body["ref"]).removeprefix("refs/heads/")
        if not str(body["ref"]).startswith("refs/heads/") or body["ref"].count("/") < 2:
            raise self._validation("ref must be fully qualified (refs/heads/…)")
        if branch in repo.branches:
            raise self._validation("Reference already exists")
        if body["sha"] not in repo.trees:
            raise self._validation("Object does not exist")
        repo.branches[branch] = body["sha"]
        return self._shaped(request, 201, self._ref_body(repo, branch))

    def get_file(self, request: Request, owner: str, name: str, path: str) -> Response:
        repo = self._repo(request, owner, name)
        branch = request.arg("ref") or repo.default_branch
        content = repo.trees.get(repo.branches.get(branch, ""), {}).get(path)
        if content is None:
            raise HttpError(404, self.error_body("Not Found"))
        encoded = base64.encodebytes(content).decode("ascii")  # GitHub wraps base64 at 60-76 columns
        body = {"type": "file", "encoding": "base64", "size": len(content), "name": path.rsplit("/", 1)[-1]}
        body.update(
            path=path, content=encoded, sha=blob_sha(content), url=self._url(repo, f"/contents/{path}")
        )
        return self._shaped(request, 200, body, variant="content-file")

    def put_file(self, request: Request, owner: str, name: str, path: str) -> Response:
        repo = self._repo(request, owner, name)
        body = request.json()
        branch = body.get("branch") or repo.default_branch
        if branch not in repo.branches:
            raise HttpError(404, self.error_body(f"Branch {branch} not found"))
        tree = dict(repo.trees[repo.branches[branch]])
        current = tree.get(path)
        if current is not None and body.get("sha") != blob_sha(current):
            if "sha" not in body:
                raise self._validation('Invalid request. "sha" wasn\'t supplied.')
            raise HttpError(409, self.error_body(f"{path} does not match {body.get('sha')}"))
        try:
            tree[path] = base64.b64decode(body["content"], validate=True)
        except ValueError:
            raise self._validation("content is not valid Base64") from None
        repo.branches[branch] = self._commit(repo, tree)
        content = {"name": path.rsplit("/", 1)[-1], "path": path, "sha": blob_sha(tree[path])}
        commit = {"sha": repo.branches[branch], "message": body["message"]}
        return self._shaped(
            request, 200 if current is not None else 201, {"content": content, "commit": commit}
        )

    # ---- pull requests -------------------------------------------------------------------
    def _pull_view(self, repo: FakeRepo, pull: dict[str, Any]) -> dict[str, Any]:
        owner = repo.full_name.split("/")[0]
        side = lambda ref: {"ref": ref, "label": f"{owner}:{ref}", "sha": repo.branches.get(ref, "0" * 40)}  # noqa: E731
        labels = [
            {"id": i, "name": n, "color": "ededed", "default": False} for i, n in enumerate(pull["labels"], 1)
        ]
        return {
            **{k: pull[k] for k in ("id", "number", "state", "title", "body")},
            "html_url": f"{self.base_url}/{repo.full_name}/pull/{pull['number']}",
            "url": self._url(repo, f"/pulls/{pull['number']}"),
            "head": side(pull["head"]),
            "base": side(pull["base"]),
            "labels": labels,
        }

    def list_pulls(self, request: Request, owner: str, name: str) -> Response:
        repo = self._repo(request, owner, name)
        state, head = request.arg("state", "open"), request.arg("head")
        found = [
            p
            for p in repo.pulls
            if (state == "all" or p["state"] == state) and (head is None or f"{owner}:{p['head']}" == head)
        ]
        return self._shaped(request, 200, [self._pull_view(repo, p) for p in found])

    def create_pull(self, request: Request, owner: str, name: str) -> Response:
        repo = self._repo(request, owner, name)
        body = request.json()
        head, base = str(body["head"]).split(":")[-1], str(body["base"])
        if head not in repo.branches or base not in repo.branches:
            raise self._validation(f"head {head!r} or base {base!r} does not exist")
        if repo.branches[head] == repo.branches[base]:
            raise self._validation(f"No commits between {base} and {head}")
        if any(p["head"] == head and p["base"] == base and p["state"] == "open" for p in repo.pulls):
            raise self._validation(f"A pull request already exists for {owner}:{head}.")
        number = 1 + max((p["number"] for p in repo.pulls), default=0)
        pull = {"id": next(self._ids), "number": number, "state": "open", "title": body.get("title", head)}
        pull.update(body=body.get("body"), head=head, base=base, labels=[])
        repo.pulls.append(pull)
        return self._shaped(request, 201, self._pull_view(repo, pull))

    def update_pull(self, request: Request, owner: str, name: str, number: str) -> Response:
        repo = self._repo(request, owner, name)
        pull = next((p for p in repo.pulls if p["number"] == int(number)), None)
        if pull is None:
            raise HttpError(404, self.error_body("Not Found"))
        pull.update({k: v for k, v in request.json().items() if k in ("title", "body", "state")})
        return self._shaped(request, 200, self._pull_view(repo, pull))

    def add_labels(self, request: Request, owner: str, name: str, number: str) -> Response:
        repo = self._repo(request, owner, name)
        pull = next((p for p in repo.pulls if p["number"] == int(number)), None)
        if pull is None:
            raise HttpError(404, self.error_body("Not Found"))
        for label in request.json()["labels"]:
            label = label if isinstance(label, str) else label["name"]
            if label not in pull["labels"]:
                pull["labels"].append(label)
        return self._shaped(request, 200, self._pull_view(repo, pull)["labels"])
