"""Suspected owners of an incident, deterministic for the packet (no network):

1. mapping rules (``repo_map``) → confidence 0.95;
3. name heuristics (known repositories sharing name tokens with the service or function, or
   ``<default_org>/<service>``) → 0.5, below the default PR gate of 0.7.

(2., verifying stack frames against candidate repositories → 0.85, happens at action time in
the GitHub PR action, because it needs GitHub.)
"""

from __future__ import annotations

import re

from contracts.packet import Finding, SuspectedOwner
from contracts.repo_name import repo_name_problem
from opsrunbook_dagster.resolution.repo_map import RepoMap, Subjects, matches

MAPPING_CONFIDENCE = 0.95
TRACE_CONFIDENCE = 0.85
HEURISTIC_CONFIDENCE = 0.5
_TOKEN = re.compile(r"[a-z0-9]+")
_GENERIC = frozenset({"api", "service", "svc", "lambda", "fn", "function", "app", "prod", "dev", "aws"})


def subjects_of(service: str, findings: list[Finding]) -> Subjects:
    groups, functions, machines, resources = set(), set(), set(), set()
    for finding in findings:
        resource = finding.resource
        resources.add(resource)
        if resource.startswith("/aws/lambda/"):
            groups.add(resource)
            functions.add(resource.removeprefix("/aws/lambda/"))
        elif resource.startswith("/"):
            groups.add(resource)
        elif ":stateMachine:" in resource:
            machines.add(resource.rsplit(":", 1)[-1])
        elif not resource.startswith("arn:") and "/" not in resource:
            functions.add(resource)
    return Subjects(
        service=service,
        log_group=tuple(sorted(groups)),
        function=tuple(sorted(functions)),
        state_machine=tuple(sorted(machines)),
        resource=tuple(sorted(resources)),
    )


def _tokens(text: str) -> set[str]:
    return {t for t in _TOKEN.findall(text.lower()) if t not in _GENERIC and len(t) > 2}


def _heuristics(subjects: Subjects, repo_map: RepoMap) -> list[SuspectedOwner]:
    names = {subjects.service, *subjects.function}
    wanted = set().union(*(_tokens(n) for n in names))
    owners = []
    for repo in repo_map.repos:
        shared = sorted(wanted & _tokens(repo.split("/", 1)[1]))
        if shared:
            owners.append(
                SuspectedOwner(
                    repo=repo,
                    team=subjects.service,
                    confidence=HEURISTIC_CONFIDENCE,
                    method="heuristic",
                    reasons=[f"repository name shares {', '.join(shared)} with the service/function names"],
                )
            )
    guess = f"{repo_map.default_org}/{subjects.service}" if repo_map.default_org else None
    if guess and repo_name_problem(guess):
        guess = None  # a service name that is no repository name (``/``, ``..``): no guess
    if guess and guess not in {o.repo for o in owners}:
        owners.append(
            SuspectedOwner(
                repo=guess,
                team=subjects.service,
                confidence=HEURISTIC_CONFIDENCE,
                method="heuristic",
                reasons=[f"named after the service in the default organisation {repo_map.default_org!r}"],
            )
        )
    return owners


def resolve_owners(service: str, findings: list[Finding], repo_map: RepoMap) -> list[SuspectedOwner] | None:
    """Owners with repositories (mapping first, then heuristics), or None when nothing fits."""
    subjects = subjects_of(service, findings)
    owners: list[SuspectedOwner] = []
    for index, rule in enumerate(repo_map.rules, start=1):
        why = matches(rule, subjects)
        if why and rule.repo not in {o.repo for o in owners}:
            source = f"mapping rule {index} in {repo_map.source.rsplit('/', 1)[-1]} (sha256 {repo_map.sha256[:12]})"
            owners.append(
                SuspectedOwner(
                    repo=rule.repo,
                    team=rule.team,
                    confidence=MAPPING_CONFIDENCE,
                    method="mapping",
                    reasons=[source, *why][:8],
                )
            )
    seen = {o.repo for o in owners}
    owners += [o for o in _heuristics(subjects, repo_map) if o.repo not in seen]
    return owners or None
