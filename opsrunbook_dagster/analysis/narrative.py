"""Hypotheses, next actions, suspected owners and limits around the ranked findings."""

from __future__ import annotations

import re
import shlex

from contracts.canonical import short_hash
from contracts.evidence import EvidenceBase
from contracts.packet import (
    Finding,
    FindingKind,
    Hypothesis,
    Limit,
    NextAction,
    NextActionKind,
    SuspectedOwner,
)
from contracts.snapshot import RepoMapCopy
from opsrunbook_dagster.resolution.owners import resolve_owners
from opsrunbook_dagster.resolution.repo_map import RepoMapError, repo_map_of

_STATEMENTS = {
    FindingKind.lambda_timeout: "{subject} is running into its Lambda timeout; a slow dependency or a code path that got slower is the likely cause.",
    FindingKind.out_of_memory: "{subject} is exhausting its memory; a larger payload or a leak pushed it over the configured size.",
    FindingKind.throttling: "{subject} is being throttled; demand exceeds provisioned or account capacity.",
    FindingKind.runtime_error: "{subject} raises an unhandled exception, most likely introduced by a recent change.",
    FindingKind.dependency_failure: "{subject} cannot reach a dependency; the dependency is down or unreachable.",
    FindingKind.stepfn_failure: "The workflow {subject} fails in one state; that state's task is the place to look.",
    FindingKind.metric_anomaly: "{subject} deviates sharply from its recent baseline.",
    FindingKind.log_signature: "{subject} started logging an error it did not log before.",
    FindingKind.error_rate: "{subject} has an elevated error rate.",
    FindingKind.cold_start: "{subject} has slower cold starts than before.",
}


def _subject(finding: Finding) -> str:
    return finding.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def hypotheses(findings: list[Finding]) -> list[Hypothesis]:
    out = []
    subjects = {f.id: _subject(f) for f in findings}
    for finding in findings[:3]:
        statement = _STATEMENTS[finding.kind].format(subject=_subject(finding))
        callers = sorted(
            {subjects[link.finding_id] for link in finding.explains if link.finding_id in subjects}
        )
        if callers:
            statement = (
                f"{_subject(finding)} is failing its callers ({', '.join(callers)}): their errors are the"
                f" symptom, its own {finding.kind.value.replace('_', ' ')} is the cause."
            )
        reasoning = f"Ranked from finding {finding.id} ({finding.kind.value}, confidence {finding.confidence}): {finding.summary}"
        out.append(
            Hypothesis(
                id="h-" + short_hash(finding.id, statement, length=12),
                statement=statement,
                reasoning=reasoning[:16000],
                finding_ids=[finding.id],
                confidence=finding.confidence,
            )
        )
    return out


def _escape_regex(text: str) -> str:
    fragment = re.split(r"<\w+>", text)[0].strip() or text
    return re.sub(r"([/\\.^$*+?()\[\]{}|])", r"\\\1", fragment[:80])


def _shell(*argv: str) -> str:
    """One shell command line: every argument quoted (log text, names and signatures are data)."""
    return shlex.join(argv)


def next_actions(findings: list[Finding], window_start: int, window_end: int) -> list[NextAction]:
    actions: list[NextAction] = []

    def add(kind: NextActionKind, title: str, command: str, finding: Finding) -> None:
        actions.append(
            NextAction(
                id="n-" + short_hash(finding.id, command, length=12),
                kind=kind,
                title=title,
                command=command,
                finding_ids=[finding.id],
            )
        )

    for finding in findings[:5]:
        subject = _subject(finding)
        if finding.resource.startswith("/") and finding.signature:
            query = (
                f"fields @timestamp, @message, @logStream | filter @message like /{_escape_regex(finding.signature)}/"
                " | sort @timestamp desc | limit 50"
            )
            add(
                NextActionKind.insights_query,
                f"Show the matching lines in {finding.resource}",
                query,
                finding,
            )
            add(
                NextActionKind.aws_cli,
                "Run that query from the CLI",
                _shell(
                    "aws",
                    "logs",
                    "start-query",
                    "--log-group-name",
                    finding.resource,
                    "--start-time",
                    str(window_start),
                    "--end-time",
                    str(window_end),
                    "--query-string",
                    query,
                ),
                finding,
            )
        if finding.kind in (
            FindingKind.lambda_timeout,
            FindingKind.out_of_memory,
            FindingKind.throttling,
        ) and finding.resource.startswith("/aws/lambda/"):
            add(
                NextActionKind.aws_cli,
                f"Check {subject}'s timeout, memory and concurrency settings",
                _shell(
                    "aws",
                    "lambda",
                    "get-function-configuration",
                    "--function-name",
                    subject,
                    "--query",
                    "{Timeout:Timeout,MemorySize:MemorySize,LastModified:LastModified,Version:Version}",
                ),
                finding,
            )
        if finding.kind == FindingKind.stepfn_failure:
            add(
                NextActionKind.aws_cli,
                f"List the failed executions of {subject}",
                _shell(
                    "aws",
                    "stepfunctions",
                    "list-executions",
                    "--state-machine-arn",
                    finding.resource,
                    "--status-filter",
                    "FAILED",
                    "--max-items",
                    "20",
                ),
                finding,
            )
        if finding.kind in (
            FindingKind.runtime_error,
            FindingKind.log_signature,
        ) and finding.resource.startswith("/aws/lambda/"):
            add(
                NextActionKind.aws_cli,
                f"See what was deployed to {subject} recently",
                _shell(
                    "aws",
                    "lambda",
                    "list-versions-by-function",
                    "--function-name",
                    subject,
                    "--max-items",
                    "5",
                ),
                finding,
            )
    return actions


def suspected_owners(
    service: str, findings: list[Finding], repo_map: RepoMapCopy | None = None
) -> list[SuspectedOwner]:
    """Repository owners from the mapping rules of ``repo_map`` (the copy stored with the evidence
    snapshot; 0.95) and name heuristics (0.5), then the owning team by service name. Deterministic
    for a given map (its sha256 is cited in the reasons); stack-trace verification happens at
    action time."""
    reasons = [f"the incident was raised for service {service!r}"]
    related = sorted({_subject(f) for f in findings[:3] if service in f.resource})
    if related:
        reasons.append("top findings concern resources named after the service: " + ", ".join(related))
    rules = None
    try:
        rules = repo_map_of(repo_map) if repo_map else None
    except RepoMapError as exc:
        reasons.append(f"repository map unusable: {exc}"[:1024])
    team = SuspectedOwner(team=service, confidence=0.5, method="heuristic", reasons=reasons)
    resolved = resolve_owners(service, findings, rules) if rules else None
    return [*resolved, team] if resolved else [team]


def limits(evidence: list[EvidenceBase], not_examined: list[tuple[str, str]]) -> list[Limit]:
    out = [
        Limit(code="not_examined", message=message, collector=collector)
        for collector, message in not_examined
    ]  # type: ignore[arg-type]
    for obj in evidence:
        collector = obj.collector  # type: ignore[attr-defined]
        for source in obj.sources:
            if source.status.value != "complete":
                message = f"{source.source}: {source.status.value}" + (
                    f" ({source.error_code}: {source.error_message})" if source.error_code else ""
                )
                out.append(
                    Limit(
                        code=source.error_code or source.status.value,
                        message=message[:1024],
                        collector=collector,
                        source=source.source,
                    )
                )
        for note in obj.limits:
            out.append(
                Limit(
                    code="truncated" if "limit" in note or "dropped" in note else "note",
                    message=note[:1024],
                    collector=collector,
                )
            )
    return out
