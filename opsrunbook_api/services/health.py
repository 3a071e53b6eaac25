"""Liveness and readiness: can the API reach the tables and the bucket it needs, and is anything
processing what it stores (services/orchestrator.py)?"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opsrunbook_api.core.config import Settings
from opsrunbook_api.core.secrets import SecretSource
from opsrunbook_api.schemas.health import CheckOut, ConfigSummary, HealthOut, SecretConfigOut
from opsrunbook_api.services.orchestrator import OrchestratorStatus
from opsrunbook_dagster.pipeline.deps import PipelineDeps


def _without_userinfo(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def _table(dynamodb: Any, table: str) -> CheckOut:
    try:
        status = dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
    except Exception as exc:
        return CheckOut(ok=False, detail=_error(exc))
    return CheckOut(ok=status == "ACTIVE", detail=str(status))


def _bucket(s3: Any, bucket: str) -> CheckOut:
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as exc:
        return CheckOut(ok=False, detail=_error(exc))
    return CheckOut(ok=True, detail="reachable")


@dataclass
class HealthService:
    """What readiness looks at and reports: the AWS resources, the orchestrator (None: not looked
    at), the settings it summarises and the two secrets whose source it names."""

    settings: Settings
    deps: PipelineDeps
    api_keys: SecretSource
    webhook_secret: SecretSource
    orchestrator: OrchestratorStatus | None
    cache_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _last: tuple[float, HealthOut] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _clients(self) -> tuple[Any, Any]:
        deps = self.deps
        return (
            deps.client("dynamodb", max_attempts=1, read_timeout=5.0),
            deps.client("s3", max_attempts=1, read_timeout=5.0),
        )

    def check(self) -> HealthOut:
        """The last report if younger than ``cache_seconds`` (a probe storm makes no AWS calls),
        else a fresh one; one caller refreshes at a time."""
        with self._lock:
            last = self._last
            if last is not None and self.clock() - last[0] < self.cache_seconds:
                return last[1]
            report = self._check()
            self._last = (self.clock(), report)
            return report

    def _check(self) -> HealthOut:
        """Every table and the bucket, probed concurrently (one slow dependency costs one timeout)."""
        names = self.deps.names
        probes: dict[str, Callable[[], CheckOut]] = {}
        try:
            dynamodb, s3 = self._clients()
        except Exception as exc:
            checks = {"aws": CheckOut(ok=False, detail=_error(exc))}
        else:
            for table in names.tables:
                probes[f"table:{table}"] = partial(_table, dynamodb, table)
            probes[f"bucket:{names.evidence_bucket}"] = partial(_bucket, s3, names.evidence_bucket)
            with ThreadPoolExecutor(max_workers=len(probes)) as pool:
                futures = {name: pool.submit(probe) for name, probe in probes.items()}
                checks = {name: future.result() for name, future in futures.items()}
        if self.orchestrator is not None:
            checks.update(self.orchestrator.checks())
        ready = all(c.ok for c in checks.values())
        return HealthOut(
            status="ok" if ready else "degraded", live=True, ready=ready, checks=checks, config=self.summary()
        )

    def summary(self) -> ConfigSummary:
        settings, names = self.settings, self.deps.names
        return ConfigSummary(
            aws_region=settings.aws_region,
            aws_endpoint_url=_without_userinfo(settings.aws_endpoint_url),
            tables={
                "incident_requests": names.incident_requests_table,
                "incidents": names.incidents_table,
                "snapshots": names.snapshots_table,
                "packets": names.packets_table,
                "pr_review_requests": names.pr_review_requests_table,
            },
            evidence_bucket=names.evidence_bucket,
            dagster_ui_url=_without_userinfo(settings.dagster_ui_url) or "",
            max_body_bytes=settings.max_body_bytes,
            api_keys=SecretConfigOut(source=self.api_keys.origin, loaded=self.api_keys.loaded),
            github_webhook_secret=SecretConfigOut(
                source=self.webhook_secret.origin, loaded=self.webhook_secret.loaded
            ),
        )
