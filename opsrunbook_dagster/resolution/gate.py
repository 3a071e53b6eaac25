"""The confidence gate for pull requests: candidates from the packet, verification by stack frames.

The packet's suspected owners carry mapping (0.95) and heuristic (0.5) confidences. When the best
is below the threshold, the PR action asks GitHub whether the files named in the evidence's stack
frames exist in a candidate repository; a hit lifts that repository to 0.85 (method ``trace``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.packet import IncidentPacketV1
from contracts.repo_name import repo_name_problem
from opsrunbook_dagster.resolution.frames import Frame
from opsrunbook_dagster.resolution.owners import TRACE_CONFIDENCE

MAX_REPOS = 3
MAX_PATHS_PER_FRAME = 6
#: GitHub lookups one resolution may make, whatever the evidence holds.
MAX_LOOKUPS = 12


@dataclass(frozen=True)
class Candidate:
    repo: str
    confidence: float
    method: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        return f"{self.repo} at {self.confidence:g} ({self.method})"


def candidates(packet: IncidentPacketV1) -> list[Candidate]:
    """One per repository (its best owner entry), best first; ties keep the packet's order."""
    best: dict[str, Candidate] = {}
    for owner in packet.suspected_owners:
        if owner.repo and repo_name_problem(owner.repo):
            continue  # never an API path (the contract rejects these; older packets may hold one)
        if owner.repo and (owner.repo not in best or owner.confidence > best[owner.repo].confidence):
            best[owner.repo] = Candidate(owner.repo, owner.confidence, owner.method, tuple(owner.reasons))
    order = {repo: index for index, repo in enumerate(best)}
    return sorted(best.values(), key=lambda c: (-c.confidence, order[c.repo]))


def static_gate(packet: IncidentPacketV1, threshold: float) -> tuple[Candidate | None, str]:
    """The packet's best candidate if it passes; else None and why (no network involved)."""
    found = candidates(packet)
    if not found:
        return None, "no candidate repository in the packet's suspected owners"
    if found[0].confidence >= threshold:
        return found[0], f"{found[0].describe()} meets the threshold {threshold:g}"
    return None, f"repository confidence below {threshold:g} (best {found[0].describe()})"


def verify(
    found: list[Candidate], frames: list[Frame], exists: Callable[[str, str], bool | None]
) -> tuple[Candidate | None, list[str]]:
    """First candidate (in order) holding a file named by a frame; ``exists`` → None = unknown."""
    notes: list[str] = []
    asked: set[tuple[str, str]] = set()
    for candidate in found[:MAX_REPOS]:
        for frame in frames:
            for path in frame.candidate_paths()[:MAX_PATHS_PER_FRAME]:
                if (candidate.repo, path) in asked:
                    continue
                if len(asked) >= MAX_LOOKUPS:
                    notes.append(f"stopped after {MAX_LOOKUPS} lookups")
                    return None, notes
                asked.add((candidate.repo, path))
                answer = exists(candidate.repo, path)
                if answer is None:
                    notes.append(f"{candidate.repo}: not accessible")
                    break
                if answer:
                    reason = f"stack frame {frame.raw}:{frame.line} is {path} in {candidate.repo}"
                    return Candidate(
                        candidate.repo, TRACE_CONFIDENCE, "trace", (reason, *candidate.reasons)
                    ), notes
            else:
                continue
            break
    return None, notes
