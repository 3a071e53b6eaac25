"""Step Functions collector: failed/timed-out/aborted executions in the window, with their causes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.evidence import (
    ExecutionRecord,
    SourceResult,
    SourceStatus,
    StateMachineSummary,
    StepFnEvidenceV1,
)
from opsrunbook_dagster.collectors.budgets import Budgets, CollectRequest, truncate_text
from opsrunbook_dagster.collectors.errors import failed_source
from opsrunbook_dagster.collectors.stepfn_history import read_failure

FAILURE_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


def resolve_state_machines(client: Any, refs: list[str]) -> tuple[dict[str, str], list[SourceResult]]:
    """Map each hint (name or ARN) to an ARN; unknown names become skipped sources."""
    resolved: dict[str, str] = {}
    problems: list[SourceResult] = []
    names = [r for r in refs if not r.startswith("arn:")]
    resolved.update({r: r for r in refs if r.startswith("arn:")})
    if names:
        try:
            by_name = {}
            for page in client.get_paginator("list_state_machines").paginate():
                by_name.update({m["name"]: m["stateMachineArn"] for m in page["stateMachines"]})
        except Exception as exc:
            return resolved, [failed_source(n, exc) for n in names]
        for name in names:
            if name in by_name:
                resolved[name] = by_name[name]
            else:
                problems.append(
                    SourceResult(
                        source=name, status=SourceStatus.skipped, error_code="StateMachineDoesNotExist"
                    )
                )
    return resolved, problems


@dataclass
class StepFnCollector:
    client: Any
    budgets: Budgets = field(default_factory=Budgets)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def _executions(self, arn: str, status: str, window_start: datetime) -> tuple[list[dict[str, Any]], bool]:
        """Executions with ``status`` started in the window, newest first; True if the bound cut them."""
        found: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_executions")
        for page in paginator.paginate(
            stateMachineArn=arn, statusFilter=status, PaginationConfig={"PageSize": 100}
        ):
            for execution in page["executions"]:
                if execution["startDate"] < window_start:
                    return found, False
                found.append(execution)
                if len(found) >= self.budgets.list_executions_max:
                    return found, True
        return found, False

    def _record(self, execution: dict[str, Any], window_end: datetime) -> ExecutionRecord:
        arn = execution["executionArn"]
        described = self.client.describe_execution(executionArn=arn)
        history = self.client.get_execution_history(
            executionArn=arn, reverseOrder=True, maxResults=self.budgets.history_events
        )["events"]
        # Newest first even where reverseOrder is ignored (moto): event ids increase with time.
        failure = read_failure(sorted(history, key=lambda e: e.get("id", 0), reverse=True))
        cause, _ = truncate_text(failure.cause or described.get("cause") or "", self.budgets.cause_chars)
        return ExecutionRecord(
            execution_arn=arn,
            state_machine_arn=execution["stateMachineArn"],
            name=execution["name"],
            status=execution["status"],
            start_date=execution["startDate"],
            stop_date=execution.get("stopDate"),
            failed_state=failure.failed_state,
            error=failure.error or described.get("error"),
            cause=cause or None,
            task_resource=failure.task_resource,
            events_examined=failure.events_examined,
        )

    def collect(self, request: CollectRequest) -> StepFnEvidenceV1:
        resolved, sources = resolve_state_machines(self.client, request.event.hints.state_machines)
        summaries: list[StateMachineSummary] = []
        records: list[ExecutionRecord] = []
        limits: list[str] = []
        for ref, arn in sorted(resolved.items()):
            try:
                counts: dict[str, int] = {}
                failures: list[dict[str, Any]] = []
                cut = False
                for status in (*FAILURE_STATUSES, "SUCCEEDED"):
                    executions, was_cut = self._executions(arn, status, request.window.start)
                    in_window = [e for e in executions if e["startDate"] <= request.window.end]
                    counts[status] = len(in_window)
                    cut |= was_cut
                    if status != "SUCCEEDED":
                        failures.extend(in_window)
                failures.sort(key=lambda e: (e["startDate"], e["executionArn"]), reverse=True)
                detailed = failures[: self.budgets.executions_per_machine]
                records.extend(self._record(e, request.window.end) for e in detailed)
                if len(failures) > len(detailed):
                    cut = True
                    limits.append(
                        f"{ref}: {len(failures)} failed executions, {len(detailed)} examined in detail"
                    )
                total = sum(counts.values())
                ratio = round(sum(counts[s] for s in FAILURE_STATUSES) / total, 4) if total else None
                summaries.append(
                    StateMachineSummary(
                        name=arn.rsplit(":", 1)[-1],
                        arn=arn,
                        counts=counts,
                        failure_ratio=ratio,
                        executions_truncated=cut,
                    )
                )
                sources.append(
                    SourceResult(source=arn, status=SourceStatus.partial if cut else SourceStatus.complete)
                )
            except Exception as exc:
                sources.append(failed_source(arn, exc))
        return StepFnEvidenceV1(
            incident_id=request.incident_id,
            run_id=request.run_id,
            window=request.window,
            collected_at=self.now(),
            sources=sorted(sources, key=lambda s: s.source),
            truncated=any(s.executions_truncated for s in summaries),
            limits=limits,
            state_machines=summaries,
            executions=records,
        )
