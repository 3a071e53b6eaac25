"""Run scenarios through the whole pipeline (in-process, each on a fresh sandbox) and score them."""

from __future__ import annotations

import time
from pathlib import Path

from contracts.actions import ActionFlags
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.evaluation.scoring import Score, score
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import bundled_names, load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer
from opsrunbook_dagster.stores.objects import ObjectMissing


def scenario_refs(paths: list[str]) -> list[str]:
    """Bundled names by default; directories expand to their *.yaml files."""
    if not paths:
        return bundled_names()
    refs: list[str] = []
    for item in paths:
        path = Path(item)
        refs += [str(p) for p in sorted(path.glob("*.yaml"))] if path.is_dir() else [item]
    return refs


def evaluate(ref: str) -> tuple[Score, str]:
    """Score one scenario; also returns the packet's content hash."""
    scenario = load_scenario(ref)
    started = time.perf_counter()
    with SandboxServer() as server:
        target = AwsTarget(endpoint_url=server.endpoint_url)
        ensure_resources(target, ResourceNames())
        report = seed_scenario(target, scenario)
        assert report.request is not None
        deps = PipelineDeps(target=target)
        run = run_inline(deps, report.request, ActionFlags())

        def read(key: str) -> bytes:
            try:
                return deps.objects.get_bytes(key)
            except ObjectMissing as exc:
                raise LookupError(str(exc)) from exc

        grounding = grounding_problems(run.packet, read)
    result = score(scenario.name, run.packet, scenario.expected, grounding)
    result.seconds = round(time.perf_counter() - started, 2)
    assert run.packet.packet_hashes is not None
    return result, run.packet.packet_hashes.content_sha256
