"""Stack frames in log lines (Python, Node.js, Java), normalised to repository-relative paths.

Lambda places code under ``/var/task/`` (and layers under ``/opt/python/``, ``/opt/nodejs/``),
containers under ``/usr/src/app/``, ``/app/`` and the like, CI runners under
``/home/runner/work/<repo>/<repo>/`` and similar; those roots (and a leading ``./``) are stripped.
An unknown root stays, and verification tries the path's suffixes, longest first. Frames of the runtime and of third-party packages are dropped: they say
nothing about which repository owns the failure.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

PYTHON = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
NODE = re.compile(
    r"\bat (?:[^\s()]+ \()?(?P<path>(?:file://)?[\w@./\\-]+\.(?:js|mjs|cjs|ts|jsx|tsx)):(?P<line>\d+)(?::\d+)?\)?"
)
JAVA = re.compile(r"\bat (?P<qual>[\w$.<>]+)\((?P<file>[\w$]+\.(?:java|kt|scala|groovy)):(?P<line>\d+)\)")
LAMBDA_PREFIXES = ("/var/task/", "/opt/python/", "/opt/nodejs/node_modules/", "/opt/nodejs/", "/opt/")
#: Where container images and CI runners put a checkout (the first match is stripped).
DEPLOY_ROOTS = re.compile(
    r"^(?:/usr/src/app/|/usr/app/|/opt/app/|/srv/app/|/home/node/app/|/home/app/|/var/app/|/app/|/code/"
    r"|/workdir/|/github/workspace/|/workspace/|/home/runner/work/[^/]+/[^/]+/|/__w/[^/]+/[^/]+/"
    r"|/builds/[^/]+/[^/]+/|/var/lib/jenkins/workspace/[^/]+/|/codebuild/output/src\d+/src/(?:[^/]+/){0,3}?)"
)
#: Shortest suffix tried: two segments (a bare file name says too little about a repository).
MIN_SUFFIX_SEGMENTS = 2
THIRD_PARTY = ("site-packages/", "dist-packages/", "node_modules/", "<frozen", "node:", "internal/")
RUNTIME_ROOTS = ("/var/runtime/", "/var/lang/", "/usr/lib/", "/usr/local/lib/", "/opt/java/")
JAVA_LIBRARIES = (
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "kotlin.",
    "scala.",
    "software.amazon.",
    "com.amazonaws.",
)


@dataclass(frozen=True)
class Frame:
    language: str
    path: str  # repository-relative guess, no leading slash
    line: int
    raw: str

    def candidate_paths(self) -> list[str]:
        """Where this file may live in a repository, most likely first."""
        if self.language == "java":
            return [f"src/main/java/{self.path}", f"src/main/kotlin/{self.path}", self.path]
        parts = self.path.split("/")
        paths = [self.path] if self.path.startswith("src/") else [self.path, f"src/{self.path}"]
        shortest = min(MIN_SUFFIX_SEGMENTS, len(parts))
        paths += ["/".join(parts[i:]) for i in range(1, len(parts) - shortest + 1)]
        return list(dict.fromkeys(paths))


def normalise(path: str) -> str | None:
    """Repository-relative path of a deployed file, or None for runtime/third-party code."""
    path = path.replace("\\", "/").removeprefix("file://")
    if any(marker in path for marker in THIRD_PARTY) or path.startswith(RUNTIME_ROOTS):
        return None
    for prefix in LAMBDA_PREFIXES:
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    else:
        path = DEPLOY_ROOTS.sub("", path, count=1)
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    if not path or ".." in path.split("/"):
        return None
    return path


def _java_path(qualified: str, file: str) -> str | None:
    if qualified.startswith(JAVA_LIBRARIES):
        return None
    stem = file.rsplit(".", 1)[0]
    parts = qualified.split("$")[0].split(".")
    package = parts[: parts.index(stem)] if stem in parts else parts[:-2] if len(parts) > 2 else parts[:-1]
    return "/".join([*package, file])


def frames_in(line: str) -> list[Frame]:
    found: list[Frame] = []
    for match in PYTHON.finditer(line):
        path = normalise(match.group("path"))
        if path:
            found.append(Frame("python", path, int(match.group("line")), match.group("path")))
    for match in NODE.finditer(line):
        path = normalise(match.group("path"))
        if path:
            found.append(Frame("node", path, int(match.group("line")), match.group("path")))
    for match in JAVA.finditer(line):
        path = _java_path(match.group("qual"), match.group("file"))
        if path:
            found.append(Frame("java", path, int(match.group("line")), match.group("qual")))
    return found


def extract_frames(lines: list[str], limit: int = 5) -> list[Frame]:
    """Distinct application frames, most frequent first (ties: first seen), deterministic."""
    counts: Counter[str] = Counter()
    first: dict[str, Frame] = {}
    for line in lines:
        for frame in frames_in(line):
            counts[frame.path] += 1
            first.setdefault(frame.path, frame)
    order = {path: index for index, path in enumerate(first)}
    ranked = sorted(first, key=lambda p: (-counts[p], order[p]))
    return [first[p] for p in ranked[:limit]]
