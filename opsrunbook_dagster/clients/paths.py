"""API paths built from data: every segment quoted, no ``.``/``..`` segment ever sent.

Repository names, branch names, file paths and issue keys come from packets, mapping files and
remote answers. ``requests`` collapses dot segments, so an unquoted ``acme/x/../../evil/loot`` is
``/repos/evil/loot``: each value is validated and quoted (``quote(seg, safe="")``) segment by
segment, and the HTTP layer refuses any path that still has a dot segment.
"""

from __future__ import annotations

from urllib.parse import quote

from contracts.repo_name import repo_name_problem
from opsrunbook_dagster.clients.http import UnsafePathError, check_path

__all__ = ["UnsafePathError", "check_path", "nested", "repo_path", "segment"]


def segment(value: str) -> str:
    """One path segment, quoted; ``""``, ``.`` and ``..`` are refused."""
    if value in ("", ".", ".."):
        raise UnsafePathError(f"{value!r} is not a path segment")
    return quote(value, safe="")


def nested(value: str) -> str:
    """A value that is itself a ``/``-separated path (a file, a branch): each part quoted."""
    return "/".join(segment(part) for part in value.split("/"))


def repo_path(repo: str, *tail: str) -> str:
    """``/repos/{owner}/{name}/…`` for a validated repository name; ``tail`` segments quoted."""
    problem = repo_name_problem(repo)
    if problem:
        raise UnsafePathError(f"{problem}, got {repo!r}"[:300])
    owner, name = repo.split("/")
    return "/".join(["/repos", segment(owner), segment(name), *(segment(t) for t in tail)])
