"""Chaos benchmark: the real stack under faults; every accepted incident must end with a packet (or
a FAILED/REJECTED row with a reason), none twice, none stuck.

Scenarios (each counts submitted, packets, duplicates, stuck, failed_with_reason, recovery_s):
1. run workers SIGKILLed mid-run;  2. the Dagster daemon SIGKILLed during a burst (the supervisor
restarts `dagster dev`; readiness must say not-ready meanwhile);  3. the sandbox's S3 and DynamoDB
answering errors for 20 s;  4. Jira, Teams and GitHub down for 60 s (one ticket/card/PR each after).

Writes benchmarks/results/chaos.json. `python -m benchmarks.chaos [--only N]`; `make chaos`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import requests

from benchmarks.chaos_stack import ChaosStack
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.sandbox.faults import CONTROL_PATH
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario

RESULTS = Path(__file__).parent / "results" / "chaos.json"
KEYS = ("submitted", "packets", "duplicates", "stuck", "failed_with_reason", "recovery_s")


def _events(base: IncidentEventV1, tag: str, n: int) -> list[IncidentEventV1]:
    return [base.model_copy(update={"event_id": f"{base.event_id}-{tag}{i}"}) for i in range(n)]


def _submit_all(stack: ChaosStack, events: list[IncidentEventV1]) -> None:
    """Each incident POSTed twice (the second must be recognised as the same request)."""
    for event in events:
        for _ in range(2):
            assert stack.post(event) in (200, 202)


def workers_killed(stack: ChaosStack, base: IncidentEventV1) -> dict[str, Any]:
    events = _events(base, "kill", 50)
    _submit_all(stack, events)
    killed: list[int] = []
    deadline = time.monotonic() + 180
    while len(killed) < 5 and time.monotonic() < deadline:
        for pid in stack.running_workers():
            if pid not in killed and len(killed) < 5:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.5)
    last_kill = time.monotonic()
    result = stack.outcome(events, timeout=600)
    return {**result, "killed_workers": len(killed), "recovery_s": round(time.monotonic() - last_kill, 1)}


def daemon_killed(stack: ChaosStack, base: IncidentEventV1) -> dict[str, Any]:
    events = _events(base, "daemon", 30)
    _submit_all(stack, events[:10])
    time.sleep(3)
    daemon = stack.daemon_pid()
    assert daemon is not None, "no dagster-daemon process found"
    readiness: list[bool | None] = []
    probe = _Sampler(stack.ready, readiness)
    probe.start()
    stack.restarts_allowed.clear()  # the replacement takes 45 s (an ECS task would take as long)
    os.kill(daemon, signal.SIGKILL)
    killed = time.monotonic()
    _submit_all(stack, events[10:])  # accepted while the daemon is down: they wait in the table
    time.sleep(max(0.0, 45 - (time.monotonic() - killed)))
    down_samples = list(readiness)
    stack.restarts_allowed.set()
    result = stack.outcome(events, timeout=600)
    probe.stop()
    return {
        **result,
        "recovery_s": round(time.monotonic() - killed, 1),
        "health_not_ready_seen": any(r is False for r in down_samples),
        "health_samples_while_down": len(down_samples),
        "health_ready_again": bool(readiness) and readiness[-1] is True,
    }


def aws_faults(stack: ChaosStack, base: IncidentEventV1) -> dict[str, Any]:
    events = _events(base, "aws", 10)
    _submit_all(stack, events)
    time.sleep(2)
    switch = f"{stack.endpoint}{CONTROL_PATH}"
    requests.post(switch, json={"services": ["s3", "dynamodb"], "status": 500, "seconds": 20}, timeout=10)
    time.sleep(20)
    cleared = time.monotonic()
    injected = requests.delete(switch, timeout=10).json()["injected"]
    result = stack.outcome(events, timeout=600)
    return {
        **result,
        "fault_seconds": 20,
        "errors_injected": injected,
        "recovery_s": round(time.monotonic() - cleared, 1),
    }


def vendor_outage(stack: ChaosStack, base: IncidentEventV1) -> dict[str, Any]:
    assert stack.fakes is not None
    apps = {name: server.app for name, server in stack.fakes.servers.items()}
    before = _vendor_counts(apps)
    for app in apps.values():
        app.fault("status", status=503, times=-1)  # type: ignore[attr-defined]
    events = _events(base, "vendor", 5)
    _submit_all(stack, events)
    time.sleep(60)
    for app in apps.values():
        app.faults.clear()  # type: ignore[attr-defined]
    cleared = time.monotonic()
    result = stack.outcome(events, timeout=600)
    after = _vendor_counts(apps)
    made = {k: after[k] - before[k] for k in after}
    results = _action_statuses(stack, events)
    return {
        **result,
        "outage_seconds": 60,
        "recovery_s": round(time.monotonic() - cleared, 1),
        "created": made,
        "actions": results,
        "side_effect_duplicates": sum(max(0, n - len(events)) for n in made.values()),
    }


def _vendor_counts(apps: dict[str, Any]) -> dict[str, int]:
    github = sum(len(r.pulls) for r in apps["github"].repos.values())
    return {
        "jira_issues": len(apps["jira"].issues),
        "teams_cards": len(apps["teams"].cards),
        "github_prs": github,
    }


def _action_statuses(stack: ChaosStack, events: list[IncidentEventV1]) -> dict[str, int]:
    counts: dict[str, int] = {}
    deps = stack.deps
    for event in events:
        latest = deps.incidents.rows(event.resolved_incident_id, "ACTIONS#LATEST")
        if not latest:
            counts["no_results"] = counts.get("no_results", 0) + 1
            continue
        for result in deps.objects.get_json(str(latest[0]["results_key"])):
            key = f"{result['action_type']}:{result['status']}"
            counts[key] = counts.get(key, 0) + 1
    return counts


class _Sampler(threading.Thread):
    def __init__(self, probe: Callable[[], bool | None], into: list[bool | None]) -> None:
        super().__init__(daemon=True)
        self.probe, self.into, self.running = probe, into, True

    def run(self) -> None:
        while self.running:
            self.into.append(self.probe())
            time.sleep(1)

    def stop(self) -> None:
        self.running = False


SCENARIOS: dict[str, Callable[[ChaosStack, IncidentEventV1], dict[str, Any]]] = {
    "1_workers_killed": workers_killed,
    "2_daemon_killed": daemon_killed,
    "3_aws_faults": aws_faults,
    "4_vendor_outage": vendor_outage,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="scenario number(s) to run, e.g. --only 1")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in SCENARIOS.items() if not args.only or k.split("_")[0] in args.only}
    out: dict[str, Any] = {"cores": os.cpu_count(), "scenarios": {}}
    with TemporaryDirectory() as home:
        stack = ChaosStack(home=Path(home)).start()
        try:
            target = AwsTarget(endpoint_url=stack.endpoint)
            report = seed_scenario(
                target, load_scenario("lambda-timeout"), datetime.now(UTC).replace(microsecond=0)
            )
            assert report.request is not None
            for name, scenario in chosen.items():
                print(f"chaos {name}…", file=sys.stderr, flush=True)
                started = time.monotonic()
                out["scenarios"][name] = {
                    **scenario(stack, report.request),
                    "elapsed_s": round(time.monotonic() - started, 1),
                }
                print(json.dumps(out["scenarios"][name]), file=sys.stderr, flush=True)
            out["supervisor"] = stack.said
        finally:
            stack.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if RESULTS.exists() and args.only:  # keep the other scenarios' last figures
        previous = json.loads(RESULTS.read_text())
        out["scenarios"] = {**previous.get("scenarios", {}), **out["scenarios"]}
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(f"{'scenario':<20} " + " ".join(f"{k:>18}" for k in KEYS))
    for name, row in sorted(out["scenarios"].items()):
        print(f"{name:<20} " + " ".join(f"{row.get(k, '-')!s:>18}" for k in KEYS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
