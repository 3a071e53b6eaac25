"""Read a failed execution's history: failed state, error, cause and the failing task's resource."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_FAILURE_EVENTS = {
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
}


@dataclass
class FailureDetails:
    failed_state: str | None = None
    error: str | None = None
    cause: str | None = None
    task_resource: str | None = None
    events_examined: int = 0


def _task_resource(event: dict[str, Any]) -> str | None:
    details = event.get("taskScheduledEventDetails")
    if details:
        try:
            params = json.loads(details.get("parameters") or "{}")
        except json.JSONDecodeError:
            params = {}
        name = params.get("FunctionName") if isinstance(params, dict) else None
        return str(name) if name else f"{details.get('resourceType')}:{details.get('resource')}"
    lambda_details = event.get("lambdaFunctionScheduledEventDetails")
    if lambda_details:
        return str(lambda_details.get("resource"))
    return None


def read_failure(events: list[dict[str, Any]]) -> FailureDetails:
    """``events`` newest first (``reverseOrder=True``)."""
    found = FailureDetails(events_examined=len(events))
    for event in events:
        kind = event.get("type", "")
        detail_key = _FAILURE_EVENTS.get(kind)
        if detail_key:
            details = event.get(detail_key) or {}
            # the most specific (task-level) error wins over the execution-level one
            if found.error is None or kind.startswith(("Task", "Lambda")):
                found.error = details.get("error") or found.error
                found.cause = details.get("cause") or found.cause
            if kind.startswith("Task") and details.get("resource"):
                found.task_resource = (
                    found.task_resource or f"{details.get('resourceType')}:{details['resource']}"
                )
        elif kind.endswith("StateEntered") and found.failed_state is None:
            found.failed_state = (event.get("stateEnteredEventDetails") or {}).get("name")
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled"):
            resource = _task_resource(event)
            if resource and (found.task_resource is None or found.task_resource.startswith("lambda:")):
                found.task_resource = resource
        if found.failed_state and found.task_resource and found.error:
            break
    return found
