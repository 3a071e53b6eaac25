"""The matching rule: does a packet's ranking agree with a scenario's expected root cause?"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from contracts.packet import Finding, IncidentPacketV1
from opsrunbook_dagster.sandbox.scenario import Expected

QUIET_CONFIDENCE = 0.5


@dataclass
class Score:
    scenario: str
    expected_kind: str
    top1: bool
    top3: bool
    must_not_flag_violations: list[str] = field(default_factory=list)
    owner_repo_hit: bool | None = None
    grounding_violations: list[str] = field(default_factory=list)
    first_finding: str = ""
    seconds: float = 0.0
    #: None when not checked; see evaluation.runner.evaluate
    deterministic: bool | None = None
    determinism_scope: str = ""
    #: Part of the blind set (reported separately; see docs/scenarios.md).
    blind: bool = False
    #: Why this scenario is a recorded known miss (evaluation/known_misses.yaml), else None.
    known_miss: str | None = None

    @property
    def passed(self) -> bool:
        return (
            self.top1
            and not self.must_not_flag_violations
            and not self.grounding_violations
            and self.deterministic is not False
        )

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "passed": self.passed}


def matches(finding: Finding, expected: Expected) -> bool:
    """Same kind; expected resource equal to or contained in the finding's resource; ``contains`` in
    its title, summary or signature (case-insensitive)."""
    cause = expected.root_cause
    if finding.kind.value != cause.kind:
        return False
    if cause.resource and cause.resource.lower() not in finding.resource.lower():
        return False
    if cause.contains:
        haystack = " ".join([finding.title, finding.summary, finding.signature or ""]).lower()
        if cause.contains.lower() not in haystack:
            return False
    return True


def score(name: str, packet: IncidentPacketV1, expected: Expected, grounding: list[str]) -> Score:
    findings = packet.findings
    if expected.root_cause.kind == "none":
        quiet = all(f.confidence <= QUIET_CONFIDENCE for f in findings)
        top1 = top3 = quiet
    else:
        top1 = bool(findings) and matches(findings[0], expected)
        top3 = any(matches(f, expected) for f in findings[:3])
    flagged = [
        f"{f.id} {f.resource}"
        for f in findings
        for resource in expected.must_not_flag
        if resource.lower() in f.resource.lower()
    ]
    owner_hit = None
    if expected.owner_repo:
        first = packet.suspected_owners[0] if packet.suspected_owners else None
        owner_hit = bool(first and first.repo == expected.owner_repo)
    return Score(
        scenario=name,
        expected_kind=expected.root_cause.kind,
        top1=top1,
        top3=top3,
        must_not_flag_violations=flagged,
        owner_repo_hit=owner_hit,
        grounding_violations=grounding,
        first_finding=f"{findings[0].kind.value}: {findings[0].title}" if findings else "(none)",
    )
