"""OpenAPI examples for the intake body."""

from __future__ import annotations

from typing import Any

INCIDENT_EVENT_EXAMPLES: dict[str, dict[str, Any]] = {
    "lambda_timeouts": {
        "summary": "Lambda timeouts in payment-gateway",
        "value": {
            "event_id": "evt-2026-11-26-0001",
            "service": "payment-gateway",
            "environment": "prod",
            "severity": "critical",
            "title": "payment-gateway timeouts",
            "time_window": {"start": "2026-11-26T11:30:00Z", "end": "2026-11-26T12:00:00Z"},
            "hints": {
                "log_groups": ["/aws/lambda/payment-gateway"],
                "lambda_functions": ["payment-gateway"],
                "metrics": [
                    {
                        "namespace": "AWS/Lambda",
                        "metric": "Errors",
                        "dimensions": {"FunctionName": "payment-gateway"},
                        "stat": "Sum",
                    }
                ],
            },
            "labels": {"team": "payments"},
        },
    },
    "step_functions": {
        "summary": "Failing Step Functions executions, own incident id",
        "value": {
            "event_id": "alarm-orders-2026-11-26T10:00",
            "incident_id": "orders-outage-42",
            "source": "cloudwatch-alarm",
            "service": "orders",
            "environment": "staging",
            "time_window": {"start": "2026-11-26T09:00:00Z", "end": "2026-11-26T10:00:00Z"},
            "hints": {"state_machines": ["orders"]},
        },
    },
}
