"""Findings from Step Functions evidence: which state failed, with what error, how often."""

from __future__ import annotations

from collections import defaultdict

from contracts.base import Severity
from contracts.evidence import ExecutionRecord
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp, median


def task_function(resource: str | None) -> str | None:
    """The Lambda function name a failing task invoked, if any."""
    if not resource:
        return None
    if ":function:" in resource:
        return resource.split(":function:", 1)[1].split(":", 1)[0]
    if resource.startswith(("lambda:", "arn:")) or ":" in resource:
        return None  # "<service>:<action>" is a service integration (dynamodb:putItem, sqs:sendMessage, ...)
    return resource


def _runtime(executions: list[ExecutionRecord]) -> str:
    """Median run time and history length of failed executions: long runs with long histories are retries."""
    spans = [(e.stop_date - e.start_date).total_seconds() for e in executions if e.stop_date]
    if not spans:
        return ""
    return (
        f"; the failed executions ran {median(spans):.1f} s and {median([float(e.events_examined) for e in executions]):.0f}"
        " history events on median"
    )


def stepfn_drafts(handles: EvidenceHandles) -> list[Draft]:
    evidence = handles.stepfn
    if evidence is None:
        return []
    drafts = []
    for m_index, machine in enumerate(evidence.state_machines):
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for e_index, execution in enumerate(evidence.executions):
            if execution.state_machine_arn == machine.arn:
                groups[(execution.failed_state or "?", execution.error or execution.status)].append(e_index)
        total = sum(machine.counts.values())
        failed = sum(v for k, v in machine.counts.items() if k != "SUCCEEDED")
        for (state, error), indices in sorted(groups.items()):
            count = len(indices)
            ratio = count / total if total else 1.0
            if count < 2 and ratio < 0.2:
                continue
            sample = evidence.executions[indices[0]]
            fn = task_function(sample.task_resource)
            cause = (sample.cause or "").strip().splitlines()[0][:300] if sample.cause else ""
            drafts.append(
                Draft(
                    kind=FindingKind.stepfn_failure,
                    title=f"{machine.name}: state {state} failed with {error} ({count} of {total} executions)",
                    summary=(
                        f"{count} executions of {machine.name} failed in state {state} with {error}"
                        + (f" (cause: {cause})" if cause else "")
                        + f"; {failed} of {total} executions in the window failed"
                        + (f"; the failing task invokes Lambda {fn}" if fn else "")
                        + (
                            f"; the failing task is the service integration {sample.task_resource}"
                            if sample.task_resource and not fn and ":" in sample.task_resource
                            else ""
                        )
                        + _runtime([evidence.executions[i] for i in indices])
                        + "."
                    ),
                    resource=machine.arn,
                    subject=fn or machine.name,
                    severity=Severity.critical if ratio >= 0.25 else Severity.warning,
                    confidence=clamp(0.55 + 0.35 * ratio + (0.05 if count >= 3 else 0.0), 0.0, 0.93),
                    refs=[handles.ref("stepfn", f"/state_machines/{m_index}")]
                    + [handles.ref("stepfn", f"/executions/{i}") for i in indices[:5]],
                    signature=f"{state}: {error}",
                    count=count,
                    baseline_count=None,
                    first_seen=min(evidence.executions[i].start_date for i in indices),
                    last_seen=max(evidence.executions[i].start_date for i in indices),
                )
            )
    return drafts
