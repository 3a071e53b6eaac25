"""Valid example documents for every contract (tests build invalid ones by mutation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SHA = "a" * 64


def window(minutes: int = 30) -> dict[str, str]:
    return {"start": (NOW - timedelta(minutes=minutes)).isoformat(), "end": NOW.isoformat()}


def incident_event(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "event_id": "evt-0001-abcdef",
        "service": "payment-gateway",
        "environment": "prod",
        "severity": "critical",
        "time_window": window(),
        "hints": {
            "log_groups": ["/aws/lambda/payment-gateway"],
            "lambda_functions": ["payment-gateway"],
            "state_machines": ["orders"],
            "metrics": [
                {"namespace": "AWS/EC2", "metric": "CPUUtilization", "dimensions": {"InstanceId": "i-0abc"}}
            ],
        },
    }
    doc.update(overrides)
    return doc


def evidence_ref(pointer: str = "/rows/0") -> dict[str, Any]:
    return {
        "collector": "logs",
        "s3_key": "evidence/inc-1/r0123456789ab/logs.json",
        "sha256": SHA,
        "pointer": pointer,
    }


def finding(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "lambda_timeout",
        "title": "payment-gateway: Task timed out after 3.00 seconds",
        "summary": "60 timeouts in the window, none in the baseline",
        "resource": "payment-gateway",
        "severity": "critical",
        "confidence": 0.9,
        "count": 60,
        "baseline_count": 0,
        "evidence_refs": [evidence_ref()],
    }
    doc.update(overrides)
    return doc


def packet(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "incident_id": "inc-1",
        "run_id": "r0123456789ab",
        "service": "payment-gateway",
        "environment": "prod",
        "severity": "critical",
        "summary": "Lambda timeouts",
        "window": window(),
        "findings": [finding()],
        "snapshot_ref": {"bucket": "b", "key": "evidence/inc-1/r0123456789ab.json", "sha256": SHA},
        "model_trace": {"analyzer_version": "1.0.0"},
    }
    doc.update(overrides)
    return doc


def logs_evidence(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "incident_id": "inc-1",
        "run_id": "r0123456789ab",
        "window": window(),
        "collected_at": NOW.isoformat(),
        "sources": [{"source": "/aws/lambda/payment-gateway", "status": "complete"}],
        "queries": [
            {
                "window": "incident",
                "log_groups": ["/aws/lambda/payment-gateway"],
                "query_string": "fields @timestamp",
                "start": window()["start"],
                "end": window()["end"],
                "status": "Complete",
            }
        ],
        "rows": [
            {
                "window": "incident",
                "timestamp": NOW.isoformat(),
                "log_group": "/aws/lambda/payment-gateway",
                "message": "Task timed out after 3.00 seconds",
            }
        ],
    }
    doc.update(overrides)
    return doc


def snapshot(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "incident_id": "inc-1",
        "run_id": "r0123456789ab",
        "partition_key": "inc-1.r0123456789ab",
        "service": "payment-gateway",
        "environment": "prod",
        "window": window(),
        "items": [
            {
                "collector": "logs",
                "bucket": "opsrunbook-evidence",
                "key": "evidence/inc-1/r0123456789ab/logs.json",
                "sha256": SHA,
                "byte_size": 120,
                "truncated": False,
                "status": "complete",
            }
        ],
    }
    doc.update(overrides)
    return doc


def action_plan(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "incident_id": "inc-1",
        "run_id": "r0123456789ab",
        "packet_sha256": SHA,
        "finding_set_sha256": SHA,
        "flags": {},
        "actions": [
            {
                "action_id": "a-1",
                "action_type": "jira_ticket",
                "idempotency_key": "jira_ticket:inc-1:aaaa",
                "decision": "execute",
                "reason": "always",
            }
        ],
    }
    doc.update(overrides)
    return doc


def action_result(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "action_id": "a-1",
        "idempotency_key": "jira_ticket:inc-1:aaaa",
        "incident_id": "inc-1",
        "run_id": "r0123456789ab",
        "action_type": "jira_ticket",
        "status": "dry_run",
        "request": {"method": "POST", "url": "/rest/api/3/issue", "json": {}},
    }
    doc.update(overrides)
    return doc


def pr_review_event(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "delivery_id": "d-123",
        "event": "pull_request_review_comment",
        "action": "created",
        "repo": "acme/payment-gateway",
        "pr_number": 7,
        "head_ref": "opsrunbook/incident-inc-1",
        "author_login": "octocat",
        "body": "```suggestion\nreturn 1\n```",
        "inline": {"path": "src/app.py", "line": 10, "side": "RIGHT"},
    }
    doc.update(overrides)
    return doc


def pr_fix_plan(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "plan_id": "p-1",
        "delivery_id": "d-123",
        "repo": "acme/payment-gateway",
        "pr_number": 7,
        "decision": "apply",
        "reason": "suggestion block",
        "edits": [{"path": "src/app.py", "start_line": 10, "end_line": 10, "replacement": "return 1\n"}],
    }
    doc.update(overrides)
    return doc
