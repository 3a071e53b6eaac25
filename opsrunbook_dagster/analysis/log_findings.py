"""Findings from log evidence: signatures that are new or markedly more frequent than the baseline."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from contracts.base import Severity
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.lambda_platform import EXIT_RE, OOM_RE, parse_report
from opsrunbook_dagster.analysis.miner import SignatureMiner
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.readable import example_text, log_title, window_span
from opsrunbook_dagster.analysis.signatures import MAX_SIGNATURE_CHARS, has_stack, signature_of
from opsrunbook_dagster.analysis.stats import clamp, poisson_sf, significance

THROTTLE_RE = re.compile(
    r"(?i)throttl|ProvisionedThroughputExceeded|Rate exceeded|TooManyRequests|SlowDown|RequestLimitExceeded|"
    r"ThrottlingException|TransactionConflict.*throttl|Too Many Requests|"
    r"(?:status|statusCode|status_code|HTTP)[\"':= ]{0,3}429\b"
)
DEPENDENCY_RE = re.compile(
    r"(?i)ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|connection refused|connection reset|could not connect|"
    r"can't connect|unable to connect|failed to connect|connect timeout|connection timed out|timeout connecting|"
    r"timed out connecting|no route to host|name or service not known|ENOTFOUND|503 Service Unavailable|"
    r"502 Bad Gateway|504 Gateway Time|too many connections|too many clients|remaining connection slots|"
    r"connection pool (?:is )?(?:exhausted|full)|"
    r"(?:timed out|timeout) (?:waiting for|acquiring|obtaining) (?:a )?(?:\w+ )?connection|"
    r"connection to server\b[^\n]*\bfailed|"
    r"could not (?:obtain|acquire|get) (?:a )?(?:database )?connection|server closed the connection|"
    r"lost connection to|connection (?:was )?closed unexpectedly|ConnectTimeout|upstream connect error"
)
MIN_COUNT = 3
MIN_RATIO = 2.0
MAX_P_VALUE = 1e-3
#: a process that ran out of memory three times in the window and never in the baseline is an
#: incident (p = 0.014 under the baseline's floor rate), though three lines of a plain signature are not
CRASH_P_VALUE = 0.05
REFS_PER_FINDING = 5


@dataclass
class _Group:
    log_group: str
    signature: str
    error_type: str | None
    frame_file: str | None
    incident: list[int] = field(default_factory=list)
    baseline: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def function_of(log_group: str) -> str:
    return log_group.rsplit("/", 1)[-1] if log_group.startswith("/aws/lambda/") else log_group


def classify(signature: str, error_type: str | None, sample: str, is_traceback: bool) -> FindingKind:
    """The kind of problem a signature shows; ``is_traceback``: its events carry a stack trace."""
    if error_type == "Lambda.Timeout":
        return FindingKind.lambda_timeout
    if error_type == "Runtime.OutOfMemory" or OOM_RE.search(sample):
        return FindingKind.out_of_memory
    if THROTTLE_RE.search(sample):
        return FindingKind.throttling
    if DEPENDENCY_RE.search(sample):
        return FindingKind.dependency_failure
    if is_traceback or EXIT_RE.search(sample):
        return FindingKind.runtime_error
    return FindingKind.log_signature


def spread(indices: list[int], n: int) -> list[int]:
    if len(indices) <= n:
        return indices
    step = (len(indices) - 1) / (n - 1)
    return sorted({indices[round(i * step)] for i in range(n)})


def _groups(handles: EvidenceHandles) -> dict[tuple[str, str], _Group]:
    """Rows grouped by (log group, signature). Plain one-line messages are grouped by the template
    the miner finds for them within their log group (two passes, so order does not matter)."""
    assert handles.logs is not None
    signed = []
    miners: dict[str, SignatureMiner] = defaultdict(SignatureMiner)
    for index, row in enumerate(handles.logs.rows):
        if row.message.startswith(("REPORT RequestId", "START RequestId", "END RequestId", "INIT_START")):
            continue
        sig = signature_of(row.message)
        if sig.level in ("INFO", "DEBUG", "TRACE") and not sig.error_type:
            continue
        if sig.body is not None:
            miners[row.log_group].record(sig.body)
        signed.append((index, row, sig))
    groups: dict[tuple[str, str], _Group] = {}
    for index, row, sig in signed:
        template = miners[row.log_group].template(sig.body) if sig.body is not None else None
        text = template.text[:MAX_SIGNATURE_CHARS] if template else sig.text
        key = (row.log_group, text)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(row.log_group, text, sig.error_type, sig.frame_file)
        (group.incident if row.window == "incident" else group.baseline).append(index)
        if len(group.messages) < 3:
            group.messages.append(row.message)
    return groups


def _times(handles: EvidenceHandles, indices: list[int]) -> tuple[datetime | None, datetime | None]:
    assert handles.logs is not None
    stamps = [handles.logs.rows[i].timestamp for i in indices]
    return (min(stamps), max(stamps)) if stamps else (None, None)


def _draft(handles: EvidenceHandles, group: _Group, kind: FindingKind, extra_title: str = "") -> Draft | None:
    k, b = len(group.incident), len(group.baseline)
    if k < MIN_COUNT or k / max(b, 1) < MIN_RATIO:
        return None
    p_value = poisson_sf(k, max(float(b), 0.5))
    if p_value > (CRASH_P_VALUE if kind == FindingKind.out_of_memory else MAX_P_VALUE):
        return None
    strength = significance(p_value)
    bonus = (
        0.05
        if kind in (FindingKind.lambda_timeout, FindingKind.out_of_memory, FindingKind.throttling)
        else 0.0
    )
    confidence = clamp(0.5 + 0.025 * strength + bonus + (0.03 if b == 0 else 0.0), 0.0, 0.93)
    first, last = _times(handles, group.incident)
    assert handles.logs is not None
    rows = handles.logs.rows
    ordered = sorted(group.incident, key=lambda i: (rows[i].timestamp, i))
    window, baseline = window_span(handles.logs.window), window_span(handles.logs.baseline_window)
    first_row = rows[ordered[0]]
    text = extra_title or example_text(group.signature, first_row.message, group.frame_file)
    against = f"the {baseline} before" if baseline else "the baseline"
    novelty = f"new in this window (none in {against})" if b == 0 else f"{k / b:.1f}x the {b} in {against}"
    refs = [handles.ref("logs", f"/rows/{i}") for i in spread(ordered, REFS_PER_FINDING)]
    if group.baseline:
        refs.append(handles.ref("logs", f"/rows/{group.baseline[0]}"))
    subject = function_of(group.log_group)
    severe = kind in (
        FindingKind.lambda_timeout,
        FindingKind.out_of_memory,
        FindingKind.throttling,
        FindingKind.runtime_error,
    )
    return Draft(
        kind=kind,
        title=f"{subject}: {extra_title or group.signature}",
        headline=log_title(subject, text, k, b, window, baseline),
        summary=(
            f"{k} occurrences in the {window or 'incident'} window in {group.log_group}, {novelty}; first at {first_row.timestamp:%Y-%m-%d %H:%M:%S}Z: "
            f"'{example_text(group.signature, first_row.message, group.frame_file)}'; p={p_value:.2e}."
        ),
        resource=group.log_group,
        subject=subject,
        severity=Severity.critical if severe and k >= 10 else Severity.warning,
        confidence=confidence,
        refs=refs,
        signature=group.signature,
        count=k,
        baseline_count=b,
        first_seen=first,
        last_seen=last,
        frame_file=group.frame_file,
    )


def _report_drafts(handles: EvidenceHandles) -> list[Draft]:
    """Out-of-memory seen only in REPORT lines (Max Memory Used reaching Memory Size)."""
    assert handles.logs is not None
    per_group: dict[str, _Group] = defaultdict(lambda: _Group("", "", "Runtime.OutOfMemory", None))
    for index, row in enumerate(handles.logs.rows):
        report = parse_report(row.message)
        if report and report.out_of_memory:
            group = per_group[row.log_group]
            group.log_group = row.log_group
            group.signature = "Runtime.OutOfMemory (REPORT: Max Memory Used >= Memory Size)"
            (group.incident if row.window == "incident" else group.baseline).append(index)
    drafts = []
    for group in per_group.values():
        draft = _draft(
            handles,
            group,
            FindingKind.out_of_memory,
            "Runtime.OutOfMemory: Max Memory Used reached Memory Size",
        )
        if draft:
            drafts.append(draft)
    return drafts


def log_drafts(handles: EvidenceHandles) -> list[Draft]:
    if handles.logs is None:
        return []
    drafts = []
    groups = _groups(handles)
    for key in sorted(groups):
        group = groups[key]
        sample = "\n".join(group.messages)
        kind = classify(group.signature, group.error_type, sample, any(has_stack(m) for m in group.messages))
        draft = _draft(handles, group, kind)
        if draft:
            drafts.append(draft)
    return drafts + _report_drafts(handles)
