"""Create a scenario's state machines and run their executions for real (moto interprets ASL)."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from typing import Any

from contracts.canonical import short_hash
from opsrunbook_dagster.sandbox.scenario import Scenario, StateMachineSpec

SANDBOX_ROLE_ARN = "arn:aws:iam::123456789012:role/opsrunbook-sandbox-states"
EXECUTION_TIMEOUT_S = 60.0


def _ensure_state_machine(sfn: Any, spec: StateMachineSpec) -> str:
    definition = json.dumps(spec.definition, sort_keys=True)
    for machine in _all_state_machines(sfn):
        if machine["name"] == spec.name:
            sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
            return str(machine["stateMachineArn"])
    created = sfn.create_state_machine(name=spec.name, definition=definition, roleArn=SANDBOX_ROLE_ARN)
    return str(created["stateMachineArn"])


def _all_state_machines(sfn: Any) -> list[dict[str, Any]]:
    machines: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_state_machines").paginate():
        machines.extend(page["stateMachines"])
    return machines


def _wait_for(sfn: Any, execution_arns: list[str]) -> Counter[str]:
    deadline = time.monotonic() + EXECUTION_TIMEOUT_S
    pending = set(execution_arns)
    statuses: Counter[str] = Counter()
    delay = 0.05
    while pending:
        for arn in sorted(pending):
            status = sfn.describe_execution(executionArn=arn)["status"]
            if status != "RUNNING":
                statuses[status] += 1
                pending.discard(arn)
        if pending:
            if time.monotonic() > deadline:
                statuses["RUNNING"] += len(pending)
                break
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    return statuses


def seed_state_machines(sfn: Any, scenario: Scenario, now: datetime) -> dict[str, dict[str, int]]:
    """Create/update each state machine and run its executions, one at a time.

    One at a time: moto interprets each execution in its own thread, deep-copies the state machine
    per execution while the others run, and its Lambda task builds a boto3 client per call (boto3's
    default session is not thread-safe). With ten executions in flight on a loaded machine, one
    execution whose input succeeds ended FAILED (CI, beside a CPU hog: 5 FAILED / 5 SUCCEEDED for a
    scenario that says 4 / 6). Sequential executions cost ~0.1 s each and leave nothing to race."""
    results: dict[str, dict[str, int]] = {}
    run_tag = short_hash(scenario.name, str(scenario.seed), now.isoformat(), length=8)
    for spec in scenario.state_machines:
        arn = _ensure_state_machine(sfn, spec)
        statuses: Counter[str] = Counter()
        number = 0
        for batch in spec.executions:
            for _ in range(batch.count):
                name = f"{scenario.name[:40]}-{run_tag}-{number:04d}"
                started = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(batch.input))
                statuses += _wait_for(sfn, [started["executionArn"]])
                number += 1
        results[spec.name] = dict(sorted(statuses.items()))
    return results
