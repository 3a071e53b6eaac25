"""``opsrunbook demo``: sandbox + Dagster (UI and daemon), submit a scenario, follow it, show the result."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import requests

from contracts.actions import ActionPlanV1, ActionResultV1
from contracts.canonical import to_jsonable
from contracts.ids import partition_key
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.cli import fakes_cmd
from opsrunbook_dagster.cli.dagster_api import DagsterApi
from opsrunbook_dagster.cli.errors import bad_input_exits_2
from opsrunbook_dagster.cli.progress import RunWatcher
from opsrunbook_dagster.cli.sandbox_cmd import DEFAULT_SCENARIO, client_env
from opsrunbook_dagster.cli.signals import install_stop_event
from opsrunbook_dagster.cli.stack import REPO_ROOT, ApiServer, DagsterDev
from opsrunbook_dagster.cli.supervisor import Component, Supervisor
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer, free_port
from opsrunbook_dagster.settings import OpsRunbookSettings
from opsrunbook_dagster.stores.keys import packet_key, plan_key, results_key

#: The demo's API key (the sandbox is local and throwaway).
DEMO_API_KEY = "demo-key-change-me"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _port(preferred: int) -> int:
    import socket

    with socket.socket() as sock:
        return preferred if sock.connect_ex(("127.0.0.1", preferred)) != 0 else free_port()


def _outcome(deps: PipelineDeps, incident_id: str, run_id: str) -> dict[str, Any]:
    packet = deps.objects.get_model(packet_key(incident_id, run_id), IncidentPacketV1)
    plan = deps.objects.get_model(plan_key(incident_id, run_id), ActionPlanV1)
    results = [
        ActionResultV1.model_validate(r) for r in deps.objects.get_json(results_key(incident_id, run_id))
    ]
    top = [
        {"kind": f.kind.value, "confidence": f.confidence, "resource": f.resource, "title": f.title}
        for f in packet.findings[:5]
    ]
    return {"summary": packet.summary, "top_findings": top, "plan": plan, "results": results}


def _ref(result: ActionResultV1) -> str:
    ref = result.external_ref
    assert ref is not None
    return " ".join(str(part) for part in (ref.key, ref.url) if part)


def _print_outcome(outcome: dict[str, Any]) -> None:
    _say(f"\n{outcome['summary']}")
    for rank, finding in enumerate(outcome["top_findings"], start=1):
        _say(f"  {rank}. [{finding['kind']}, {finding['confidence']:.2f}] {finding['title']}")
    _say("plan:")
    results = {r.action_id: r for r in outcome["results"]}
    for action in outcome["plan"].actions:
        result = results.get(action.action_id)
        _say(
            f"  - {action.action_type.value}: {action.decision.value} ({action.reason}) -> {result.status.value if result else '?'}"
            + (f" {_ref(result)}" if result and result.external_ref else "")
        )


def _supervise(sandbox: SandboxServer, stack: DagsterDev, api: ApiServer) -> Supervisor:
    """Every part of the demo stack watched: `dagster dev` and the API are restarted (their state
    is on disk or in the sandbox); the sandbox holds everything in memory, so losing it stops all."""
    return Supervisor(
        [
            Component("sandbox (moto server)", sandbox.probe),
            Component("Dagster (webserver + daemon)", stack.probe, restart=stack.start),
            Component("API", api.probe, restart=api.start),
        ],
        say=_say,
    )


@bad_input_exits_2
def cmd_demo(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    stop = install_stop_event()
    started = time.monotonic()
    with SandboxServer(port=_port(args.aws_port)) as sandbox:
        target = AwsTarget(endpoint_url=sandbox.endpoint_url)
        names = OpsRunbookSettings().resource_names()
        ensure_resources(target, names)
        env = {**os.environ, **client_env(sandbox.endpoint_url)}
        repo_map = REPO_ROOT / "infra" / "repo-map.yaml"
        if repo_map.exists():  # the bundled scenarios' owners, so the demo packet names repositories
            env.setdefault("OPSRUNBOOK_REPO_MAP", str(repo_map))
        fakes = fakes_cmd.start_stack() if args.live_actions else None
        if fakes is not None:  # live actions: real HTTP to local Jira/Teams/GitHub fakes
            env.update(fakes_cmd.live_actions_env(fakes))
            _say(
                "live actions against local fakes: " + ", ".join(f"{k} {v}" for k, v in fakes.urls().items())
            )
        stack = DagsterDev(home=Path(args.home).resolve(), env=env, port=_port(args.ui_port))
        stack.env.setdefault("DAGSTER_UI_URL", stack.url)  # run links in tickets, cards and PRs
        api = ApiServer(
            env={**env, "OPSRUNBOOK_API_KEYS": DEMO_API_KEY, "DAGSTER_UI_URL": ""},
            port=_port(args.api_port),
            log_path=stack.home / "api.log",
        )
        _say(f"sandbox (moto server): {sandbox.endpoint_url}")
        _say("starting Dagster (webserver + daemon) and the API…")
        stack.start()
        api.env["DAGSTER_UI_URL"] = stack.url
        api.start()
        try:
            _say(f"Dagster UI: {stack.url}")
            _say(f"API:        {api.url}/docs  (X-API-Key: {DEMO_API_KEY})")
            deps = PipelineDeps(target=target, names=names)
            report = seed_scenario(target, scenario)
            assert report.request is not None
            event = report.request
            response = requests.post(
                f"{api.url}/v1/incidents",
                data=event.model_dump_json(),
                headers={"X-API-Key": DEMO_API_KEY, "Content-Type": "application/json"},
                timeout=30,
            )
            response.raise_for_status()
            accepted = response.json()
            outcome = deps.requests.submit(event)  # idempotent: returns the ids the API just stored
            key = partition_key(outcome.incident_id, outcome.run_id)
            _say(f"POST /v1/incidents → {response.status_code} {accepted}")
            _say(f"incident {outcome.incident_id} (partition {key})")
            submitted = time.monotonic()
            watcher = RunWatcher(deps, outcome.incident_id, outcome.run_id, event.event_id)
            finished = watcher.follow(lambda name, s: _say(f"  [{s:5.1f}s] {name}"), timeout=args.timeout)
            run = DagsterApi(stack.url).run_for_key(key)
            run_url = f"{stack.url}/runs/{run['runId']}" if run else None
            if not finished:
                _say(
                    f"the run did not finish in {args.timeout}s; see {stack.url} and {stack.home}/dagster-dev.log"
                )
                return 1
            result = _outcome(deps, outcome.incident_id, outcome.run_id)
            if args.json:
                payload = {
                    "api_url": api.url,
                    "incident_id": outcome.incident_id,
                    "run_id": outcome.run_id,
                    "partition_key": key,
                    **result,
                    "dagster_run_url": run_url,
                    "pipeline_seconds": round(time.monotonic() - submitted, 3),
                    "elapsed_seconds": round(time.monotonic() - started, 3),
                }
                print(json.dumps(to_jsonable(payload), indent=2))
            _print_outcome(result)
            for line in fakes_cmd.describe_results(result["results"], fakes) if fakes else []:
                _say(line)
            _say(f"\nrun: {run_url}\nlineage: {stack.url}/asset-groups")
            if args.once:
                return 0
            _say("running; explore the UI, press Ctrl-C to stop")
            code = _supervise(sandbox, stack, api).watch(stop)
            _say("stopping…")
            return code
        finally:
            api.stop()
            stack.stop()
            if fakes is not None:
                fakes.stop()
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="sandbox + Dagster UI/daemon; submit a scenario and follow it")
    demo.add_argument("--scenario", default=DEFAULT_SCENARIO)
    demo.add_argument("--once", action="store_true", help="exit once the run has finished")
    demo.add_argument("--json", action="store_true", help="print one JSON object describing the outcome")
    demo.add_argument("--aws-port", type=int, default=4566)
    demo.add_argument("--ui-port", type=int, default=3000)
    demo.add_argument("--api-port", type=int, default=8000)
    demo.add_argument("--home", default=str(REPO_ROOT / ".dagster_home"), help="DAGSTER_HOME to use")
    demo.add_argument("--timeout", type=float, default=180.0)
    demo.add_argument(
        "--live-actions",
        action="store_true",
        help="send the actions (ACTIONS_DRY_RUN=false) to local Jira/Teams/GitHub fakes started for the demo",
    )
    demo.set_defaults(func=cmd_demo)
