"""GitHub repository names (``owner/name``) as data, never as paths.

A name reaches GitHub API paths (``/repos/{owner}/{name}/…``), and an HTTP client collapses
``..`` segments: ``acme/x/../../evil/loot`` would address another organisation's repository. So a
repository name is exactly one owner and one name, from GitHub's own alphabet, without ``..``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

OWNER_PATTERN = r"[A-Za-z0-9-]+"
REPO_PATTERN = rf"^{OWNER_PATTERN}/[A-Za-z0-9._-]+$"
_REPO = re.compile(REPO_PATTERN)
_OWNER = re.compile(rf"^{OWNER_PATTERN}$")
MAX_LENGTH = 140  # owner (39) + "/" + name (100)


def repo_name_problem(value: object) -> str | None:
    """Why ``value`` is not a repository name, or None when it is one."""
    if not isinstance(value, str) or not _REPO.match(value):
        return "repo must be owner/name (letters, digits, '-', and '.', '_' in the name)"
    if ".." in value or value.split("/", 1)[1] == "." or len(value) > MAX_LENGTH:
        return "repo must be owner/name without '..' (at most 140 characters)"
    return None


def check_repo_name(value: str) -> str:
    problem = repo_name_problem(value)
    if problem:
        raise ValueError(f"{problem}, got {value!r}"[:300])
    return value


def is_owner(value: object) -> bool:
    return isinstance(value, str) and bool(_OWNER.match(value)) and len(value) <= 39


RepoName = Annotated[
    str, StringConstraints(pattern=REPO_PATTERN, max_length=MAX_LENGTH), AfterValidator(check_repo_name)
]
