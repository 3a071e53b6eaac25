"""Which repository paths an automatic PR edit may touch.

A path is normalised before the allowlist is consulted (``incidents/../.github/workflows/ci.yml``
is ``.github/workflows/ci.yml``), and CI configuration is refused even when allowlisted: an edit
there runs code with the repository's secrets on the next push.
"""

from __future__ import annotations

import posixpath

#: prefixes (directories end in ``/``) and file names that configure CI/CD, compared case-insensitively
CI_CONFIG_PREFIXES = (
    ".github/workflows/",
    ".github/actions/",
    ".circleci/",
    ".buildkite/",
    ".gitlab/",
    ".azure-pipelines/",
    ".drone/",
    ".woodpecker/",
    ".tekton/",
    ".teamcity/",
)
CI_CONFIG_FILES = frozenset(
    {
        ".gitlab-ci.yml",
        ".gitlab-ci.yaml",
        "jenkinsfile",
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        ".travis.yml",
        "bitbucket-pipelines.yml",
        ".drone.yml",
        ".woodpecker.yml",
        "appveyor.yml",
        ".appveyor.yml",
        "cloudbuild.yaml",
        "cloudbuild.yml",
        "buildspec.yml",
        "buildspec.yaml",
        ".pre-commit-config.yaml",
        "codefresh.yml",
        "wercker.yml",
        ".cirrus.yml",
    }
)


def normalise(path: str) -> str | None:
    """The repository-relative path, or None when it is absolute, escapes the root or is malformed."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    if normal in (".", "") or normal == ".." or normal.startswith("../"):
        return None
    return normal


def is_ci_config(path: str) -> bool:
    lowered = path.lower()
    name = posixpath.basename(lowered)
    return lowered.startswith(CI_CONFIG_PREFIXES) or name in CI_CONFIG_FILES or name.startswith("jenkinsfile")


def refusal(path: str, allowlist: tuple[str, ...]) -> str | None:
    """Why ``path`` may not be edited automatically, or None when it may."""
    normal = normalise(path)
    if normal is None:
        return f"{path} (not a plain repository path)"
    if normal != path:
        return f"{path} (not normalised: {normal})"
    if is_ci_config(normal):
        return f"{path} (CI configuration)"
    if not normal.startswith(allowlist):
        return path
    return None
