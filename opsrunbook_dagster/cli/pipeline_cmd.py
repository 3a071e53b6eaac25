"""``opsrunbook submit``, ``opsrunbook analyze`` and ``opsrunbook replay``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from contracts.actions import ActionFlags
from contracts.canonical import canonical_json, to_jsonable
from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.errors import UsageError, bad_input_exits_2
from opsrunbook_dagster.cli.progress_bar import ProgressDisplay, wanted
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from opsrunbook_dagster.replay.outcome import TERMINAL
from opsrunbook_dagster.resolution.repo_map import copy_repo_map
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer
from opsrunbook_dagster.settings import OpsRunbookSettings
from opsrunbook_dagster.stores.replays import ReplayInProgress


def _deps(settings: OpsRunbookSettings, endpoint: str | None) -> PipelineDeps:
    """The deployment's tables and bucket, at ``endpoint`` when given (else the settings' AWS)."""
    return PipelineDeps(target=settings.aws_target(endpoint), names=settings.resource_names())


def _request_from(arg: str, target: AwsTarget) -> IncidentEventV1:
    path = Path(arg)
    if path.suffix == ".json":
        try:
            return IncidentEventV1.model_validate_json(path.read_bytes())
        except FileNotFoundError as exc:
            raise UsageError(f"{arg}: file not found") from exc
    if not target.endpoint_url:
        raise UsageError("seeding a scenario needs the sandbox: pass --endpoint or set AWS_ENDPOINT_URL")
    report = seed_scenario(target, load_scenario(arg))
    assert report.request is not None
    return report.request


@bad_input_exits_2
def cmd_submit(args: argparse.Namespace) -> int:
    deps = _deps(OpsRunbookSettings(), args.endpoint)
    target = deps.target
    if target.endpoint_url:
        ensure_resources(target, deps.names)
    event = _request_from(args.request, target)
    outcome = deps.requests.submit(event)
    print(
        json.dumps(
            {
                "incident_id": outcome.incident_id,
                "run_id": outcome.run_id,
                "partition_key": partition_key(outcome.incident_id, outcome.run_id),
                "created": outcome.created,
                "status": outcome.status,
            }
        )
    )
    if outcome.conflict:
        print(
            f"opsrunbook: error: event_id {event.event_id} was already submitted with a different body",
            file=sys.stderr,
        )
        return 1
    return 0


@bad_input_exits_2
def cmd_analyze(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    settings = OpsRunbookSettings()
    flags = settings.action_flags()
    with SandboxServer() as server:
        target = AwsTarget(endpoint_url=server.endpoint_url)
        started = time.perf_counter()
        ensure_resources(target, ResourceNames())
        report = seed_scenario(target, scenario)
        seeded = time.perf_counter() - started
        assert report.request is not None
        run = run_inline(
            PipelineDeps(target=target),
            report.request,
            ActionFlags(**{**flags.model_dump(), "dry_run": True}),
            repo_map=copy_repo_map(settings.repo_map),
        )
    output = {"packet": run.packet, "plan": run.plan, "timings": {**run.timings, "seed_s": round(seeded, 4)}}
    if args.json:
        sys.stdout.write(canonical_json(output).decode("utf-8") + "\n")
    else:
        print(json.dumps(to_jsonable(output), indent=2))
    return 0


@bad_input_exits_2
def cmd_replay(args: argparse.Namespace) -> int:
    """The same path as ``POST /v1/incidents/{id}/replay``: a replay request row, which the running
    Dagster daemon's replay sensor turns into runs; then wait for its terminal status."""
    deps = _deps(OpsRunbookSettings(), args.endpoint)
    meta = deps.incidents.meta(args.incident_id)
    if meta is None:
        raise UsageError(f"incident {args.incident_id} not found")
    runs = None if args.all else [args.run or str(meta["latest_run_id"])]
    try:
        row = deps.replays.request(args.incident_id, runs)
    except ReplayInProgress as exc:
        raise UsageError(str(exc)) from exc
    deadline = time.monotonic() + args.timeout
    with ProgressDisplay(wanted(), f"replay {row.replay_id}", total=None) as shown:
        while (current := deps.replays.get(row.replay_id)) is not None and current.status not in TERMINAL:
            if time.monotonic() > deadline:
                print(
                    f"replay {row.replay_id} is still {current.status} after {args.timeout:.0f}s "
                    "(is the Dagster daemon running?)",
                    file=sys.stderr,
                )
                return 1
            if shown.enabled:  # one packet and one plan check per replayed run
                done = deps.incidents.replay_checks(args.incident_id, row.replay_id)
                expected = 2 * len(current.run_ids) if current.run_ids else None
                shown.update(len(done), expected, note=f"{current.status}, checks done")
            time.sleep(0.5)
    assert current is not None
    checks = deps.incidents.replay_checks(args.incident_id, row.replay_id)
    outcome = {
        "replay_id": row.replay_id,
        "status": current.status,
        "reason": current.raw.get("reason"),
        "partitions": [partition_key(args.incident_id, r) for r in current.run_ids or []],
        "results": [
            {
                "run_id": c["run_id"],
                "kind": c["kind"],
                "match": bool(c["match"]),
                "diffs": list(c.get("diffs") or []),
            }
            for c in sorted(checks, key=lambda c: (str(c["run_id"]), str(c["kind"])))
        ],
        "match": current.status == "MATCH",
    }
    print(json.dumps(outcome, indent=2))
    return 0 if outcome["match"] else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    submit = sub.add_parser(
        "submit", help="write an incident request row (scenario name/file or request JSON)"
    )
    submit.add_argument("request", help="bundled scenario, scenario YAML, or an incident_event.v1 JSON file")
    submit.add_argument("--endpoint", help="AWS endpoint (default $AWS_ENDPOINT_URL)")
    submit.set_defaults(func=cmd_submit)
    analyze = sub.add_parser(
        "analyze", help="run the whole pipeline in-process against an in-process sandbox"
    )
    analyze.add_argument("--scenario", required=True)
    analyze.add_argument("--json", action="store_true", help="one canonical JSON object on stdout")
    analyze.set_defaults(func=cmd_analyze)
    replay = sub.add_parser(
        "replay", help="rebuild packets and plans from stored evidence (runs launched by the Dagster daemon)"
    )
    replay.add_argument("incident_id")
    which = replay.add_mutually_exclusive_group()
    which.add_argument("--run", help="replay this collector run (default: the latest)")
    which.add_argument("--all", action="store_true", help="replay every completed run of the incident")
    replay.add_argument("--endpoint", help="AWS endpoint (default $AWS_ENDPOINT_URL)")
    replay.add_argument("--timeout", type=float, default=300.0)
    replay.set_defaults(func=cmd_replay)
