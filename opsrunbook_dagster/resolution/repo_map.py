"""Repository mapping rules (YAML or JSON, path in ``$OPSRUNBOOK_REPO_MAP``).

The file is read when the evidence snapshot is built (``copy_repo_map``) and its text stored in the
snapshot; packets are built from that copy (``repo_map_of``), so a replay uses the same rules.

```yaml
version: 1
default_org: acme            # optional: name heuristics guess <default_org>/<service>
repos: [acme/payments-core]  # optional: known repositories the heuristics may pick from
rules:                       # first match wins the order; every matching rule is reported
  - repo: acme/payment-gateway
    team: payments           # optional
    match:                   # glob patterns; a rule matches when any pattern matches
      service: payment-gateway
      log_group: /aws/lambda/payment-gateway*
      function: payment-gateway*
      state_machine: "*checkout*"
      resource: "*payment*"  # any finding resource
```
"""

from __future__ import annotations

import fnmatch
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from contracts.canonical import sha256_hex
from contracts.repo_name import is_owner, repo_name_problem
from contracts.snapshot import RepoMapCopy

KEYS = ("service", "log_group", "function", "state_machine", "resource")


class RepoMapError(ValueError):
    """The mapping file is missing or malformed."""


@dataclass(frozen=True)
class Rule:
    repo: str
    team: str | None
    match: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class RepoMap:
    rules: tuple[Rule, ...] = ()
    repos: tuple[str, ...] = ()
    default_org: str | None = None
    source: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class Subjects:
    """What an incident is about, as the rules see it."""

    service: str
    log_group: tuple[str, ...] = ()
    function: tuple[str, ...] = ()
    state_machine: tuple[str, ...] = ()
    resource: tuple[str, ...] = field(default_factory=tuple)

    def values(self, key: str) -> tuple[str, ...]:
        value = getattr(self, key)
        return (value,) if isinstance(value, str) else value


def _patterns(value: object, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise RepoMapError(f"{where}: expected a glob pattern or a list of them")
    return tuple(items)


def parse_repo_map(text: str, source: str = "<inline>") -> RepoMap:
    try:
        data = yaml.safe_load(text) if not source.endswith(".json") else json.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise RepoMapError(f"{source}: not valid YAML/JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RepoMapError(f"{source}: expected a mapping with 'rules'")
    rules = []
    for index, raw in enumerate(data.get("rules") or []):
        where = f"{source}: rules[{index}]"
        problem = repo_name_problem(raw.get("repo")) if isinstance(raw, dict) else "not a mapping"
        if problem:
            raise RepoMapError(f"{where}: 'repo' must be owner/name ({problem})")
        match = raw.get("match") or {}
        unknown = set(match) - set(KEYS) if isinstance(match, dict) else {"?"}
        if not match or unknown:
            raise RepoMapError(
                f"{where}: 'match' needs some of {', '.join(KEYS)} (unknown: {sorted(unknown)})"
            )
        patterns = {key: _patterns(value, f"{where}.match.{key}") for key, value in match.items()}
        rules.append(Rule(repo=raw["repo"], team=raw.get("team"), match=patterns))
    repos = tuple(str(r) for r in data.get("repos") or [])
    for index, repo in enumerate(repos):
        if problem := repo_name_problem(repo):
            raise RepoMapError(f"{source}: repos[{index}] must be owner/name ({problem})")
    org = data.get("default_org")
    if org and not is_owner(org):
        raise RepoMapError(f"{source}: default_org must be a GitHub owner (letters, digits, '-')")
    return RepoMap(
        rules=tuple(rules),
        repos=repos,
        default_org=str(org) if org else None,
        source=source,
        sha256=sha256_hex(text.encode("utf-8")),
    )


@functools.cache
def _read(path: str, mtime_ns: int) -> RepoMapCopy:
    text = Path(path).read_text(encoding="utf-8")
    return RepoMapCopy(source=path, text=text, sha256=sha256_hex(text.encode("utf-8")))


def copy_repo_map(path: str | None) -> RepoMapCopy | None:
    """The map file at ``path`` (the ``OPSRUNBOOK_REPO_MAP`` setting) as the snapshot stores it
    (read once per file version), or None when no map is configured. A file that cannot be read
    is stored as the reason, which the packet then reports."""
    configured = (path or "").strip()
    if not configured:
        return None
    file = Path(configured)
    try:
        return _read(str(file), file.stat().st_mtime_ns)
    except OSError as exc:
        return RepoMapCopy(source=configured, error=f"{configured}: cannot read ({exc.strerror})")


@functools.lru_cache(maxsize=16)
def _parsed(text: str, source: str) -> RepoMap:
    return parse_repo_map(text, source)


def repo_map_of(copy: RepoMapCopy) -> RepoMap:
    """The rules of a stored copy; ``RepoMapError`` saying why when it is unusable."""
    if copy.text is None:
        raise RepoMapError(copy.error or f"{copy.source}: not read")
    return _parsed(copy.text, copy.source)


def matches(rule: Rule, subjects: Subjects) -> list[str]:
    """Why ``rule`` matches (one line per matching key), or [] when it does not."""
    why = []
    for key, patterns in rule.match.items():
        for value in subjects.values(key):
            hit = next((p for p in patterns if fnmatch.fnmatchcase(value, p)), None)
            if hit is not None:
                why.append(f"{key} {value!r} matches {hit!r}")
                break
    return why
