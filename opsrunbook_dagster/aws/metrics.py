"""The orchestrator's own CloudWatch metric: how long the oldest incident request has waited.

Published by the incident request sensor on each heartbeat when ``OPSRUNBOOK_METRICS_NAMESPACE``
is set (the ECS tasks set it; locally it is unset and nothing is sent). One datum per call, so it
costs one PutMetricData request per heartbeat; a failure is logged and never fails the tick. The
deployment alarms on its Maximum (requests waiting) and on its SampleCount (no ticks: the daemon
or the code location is down), see infra/cdk/opsrunbook_cdk/alarms.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

NAMESPACE_ENV = "OPSRUNBOOK_METRICS_NAMESPACE"
OLDEST_PENDING_METRIC = "OldestPendingRequestAgeSeconds"
DIMENSION = "RequestsTable"

log = logging.getLogger(__name__)


def oldest_pending_datum(age_seconds: float, at: datetime, requests_table: str) -> dict[str, Any]:
    """The MetricData entry for one observation (pure: same inputs, same datum)."""
    return {
        "MetricName": OLDEST_PENDING_METRIC,
        "Dimensions": [{"Name": DIMENSION, "Value": requests_table}],
        "Timestamp": at,
        "Value": max(0.0, float(age_seconds)),
        "Unit": "Seconds",
    }


@dataclass
class MetricPublisher:
    """Sends data to CloudWatch; ``cloudwatch`` is a boto3 client, built only when a namespace is set."""

    cloudwatch: Any
    namespace: str

    @classmethod
    def create(cls, namespace: str | None, client: Any) -> MetricPublisher | None:
        """A publisher to ``namespace`` (the ``OPSRUNBOOK_METRICS_NAMESPACE`` setting), or None if unset;
        ``client`` builds the CloudWatch client, called only when there is a namespace."""
        namespace = (namespace or "").strip()
        return cls(client(), namespace) if namespace else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], client: Any) -> MetricPublisher | None:
        """``create`` with the namespace from an environment-shaped mapping."""
        return cls.create(environ.get(NAMESPACE_ENV), client)

    def publish(self, datum: dict[str, Any]) -> bool:
        """True when CloudWatch took it; a failure is logged (metrics must never stop the sensor)."""
        try:
            self.cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=[datum])
        except (BotoCoreError, ClientError) as exc:
            log.warning("could not publish %s: %s", datum.get("MetricName"), type(exc).__name__)
            return False
        return True
