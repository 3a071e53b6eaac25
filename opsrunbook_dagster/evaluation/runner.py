"""Run scenarios through the whole pipeline (in-process, each on a fresh sandbox) and score them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contracts.actions import ActionFlags
from contracts.canonical import canonical_json
from contracts.packet import IncidentPacketV1
from contracts.snapshot import RepoMapCopy
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.evaluation.known_misses import known_misses
from opsrunbook_dagster.evaluation.scoring import Score, score
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import Scenario, blind_names, bundled_names, load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer
from opsrunbook_dagster.stores.objects import ObjectMissing


def scenario_refs(paths: list[str], which: str = "all") -> list[str]:
    """Bundled names by default (``which``: ``all``, ``main`` or ``blind``); directories expand to
    their *.yaml files."""
    if not paths:
        return {"main": bundled_names(), "blind": blind_names()}.get(which, bundled_names() + blind_names())
    refs: list[str] = []
    for item in paths:
        path = Path(item)
        refs += [str(p) for p in sorted(path.glob("*.yaml"))] if path.is_dir() else [item]
    return refs


@dataclass(frozen=True)
class _Outcome:
    packet: IncidentPacketV1
    packet_bytes: bytes
    plan_bytes: bytes
    grounding: list[str]
    rerun_identical: bool


def _run_once(scenario: Scenario, now: datetime, rerun: bool, repo_map: RepoMapCopy | None) -> _Outcome:
    """Seed a fresh sandbox at ``now`` and run the request; with ``rerun``, run it again over the same
    world (a re-materialization: collection and analysis from scratch) and compare the bytes."""
    with SandboxServer() as server:
        target = AwsTarget(endpoint_url=server.endpoint_url)
        ensure_resources(target, ResourceNames())
        report = seed_scenario(target, scenario, now)
        assert report.request is not None
        deps = PipelineDeps(target=target)
        run = run_inline(deps, report.request, ActionFlags(), repo_map=repo_map)
        packet_bytes, plan_bytes = canonical_json(run.packet), canonical_json(run.plan)

        def read(key: str) -> bytes:
            try:
                return deps.objects.get_bytes(key)
            except ObjectMissing as exc:
                raise LookupError(str(exc)) from exc

        grounding = grounding_problems(run.packet, read)
        identical = True
        if rerun:
            again = run_inline(deps, report.request, ActionFlags(), repo_map=repo_map)
            identical = (canonical_json(again.packet), canonical_json(again.plan)) == (
                packet_bytes,
                plan_bytes,
            )
    return _Outcome(run.packet, packet_bytes, plan_bytes, grounding, identical)


def evaluate(
    ref: str, check_determinism: bool = True, repo_map: RepoMapCopy | None = None
) -> tuple[Score, str]:
    """Score one scenario (suspected owners resolved with ``repo_map``); also returns the packet's
    content hash.

    Determinism (``check_determinism``): the request runs twice over the same sandbox world, and once
    more in a second sandbox seeded from scratch at the same instant; all three packets and plans
    must be byte-identical. Step Functions executions run at wall-clock time in moto (they cannot be
    back-dated), so for scenarios with state machines the second sandbox is a different world and
    only the same-world comparison applies.
    """
    scenario = load_scenario(ref)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    first = _run_once(scenario, now, rerun=check_determinism, repo_map=repo_map)
    result = score(scenario.name, first.packet, scenario.expected, first.grounding)
    result.blind = scenario.blind
    result.known_miss = known_misses().get(scenario.name)
    if check_determinism:
        result.deterministic = first.rerun_identical
        if scenario.state_machines:
            result.determinism_scope = "same world (executions run at wall-clock time)"
        else:
            second = _run_once(scenario, now, rerun=False, repo_map=repo_map)
            same = (second.packet_bytes, second.plan_bytes) == (first.packet_bytes, first.plan_bytes)
            result.deterministic = result.deterministic and same
            result.determinism_scope = "same world + re-seeded world"
    result.seconds = round(time.perf_counter() - started, 2)
    assert first.packet.packet_hashes is not None
    return result, first.packet.packet_hashes.content_sha256
