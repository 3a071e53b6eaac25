"""What every request shares: settings, the stores (built lazily, no I/O until first use), secrets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import SecretStr

from opsrunbook_api.core.config import Settings
from opsrunbook_api.core.rate_limit import RateLimiter
from opsrunbook_api.core.secrets import SecretSource
from opsrunbook_api.services.artifacts import ArtifactService
from opsrunbook_api.services.health import HealthService
from opsrunbook_api.services.incident_list import IncidentListService
from opsrunbook_api.services.incidents import IncidentService
from opsrunbook_api.services.orchestrator import OrchestratorStatus
from opsrunbook_api.services.replays import ReplayService
from opsrunbook_api.services.webhooks import GitHubWebhookService
from opsrunbook_dagster.pipeline.deps import PipelineDeps


@dataclass
class ApiContext:
    settings: Settings
    deps: PipelineDeps = field(init=False)

    def __post_init__(self) -> None:
        self.deps = PipelineDeps(target=self.settings.aws_target(), names=self.settings.resource_names())

    def _ssm(self) -> Any:
        # bounded: a request that has to refresh waits at most ~3 s (others are served the cached value)
        return self.deps.client("ssm", max_attempts=1, read_timeout=3.0)

    def _secret(
        self, name: str, value: SecretStr | None, parameter: str, optional: bool = False
    ) -> SecretSource:
        return SecretSource(
            name, value, parameter, self._ssm, ttl=self.settings.secret_ttl_seconds, optional=optional
        )

    @cached_property
    def api_keys(self) -> SecretSource:
        return self._secret("API keys", self.settings.api_keys, self.settings.api_keys_parameter)

    @cached_property
    def webhook_secret(self) -> SecretSource:
        settings = self.settings
        return self._secret(
            "GitHub webhook secret", settings.github_webhook_secret, settings.github_webhook_secret_parameter
        )

    @cached_property
    def previous_webhook_secret(self) -> SecretSource:
        settings = self.settings
        return self._secret(
            "previous GitHub webhook secret",
            settings.github_webhook_secret_previous,
            settings.github_webhook_secret_previous_parameter,
            optional=True,
        )

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        return RateLimiter(self.settings.rate_limit_per_minute, self.settings.rate_limit_burst)

    @cached_property
    def incidents(self) -> IncidentService:
        return IncidentService(self.deps, self.settings.dagster_run_url)

    def _cursor_secret(self) -> bytes:
        configured = self.settings.cursor_secret
        material = configured.get_secret_value() if configured else self.api_keys.get()
        return hashlib.sha256(b"opsrunbook-page-cursor\0" + material.encode("utf-8")).digest()

    @cached_property
    def incident_list(self) -> IncidentListService:
        return IncidentListService(self.deps, self._cursor_secret)

    @cached_property
    def artifacts(self) -> ArtifactService:
        return ArtifactService(self.deps, self.incidents)

    @cached_property
    def replays(self) -> ReplayService:
        return ReplayService(self.deps, self.incidents)

    @cached_property
    def webhooks(self) -> GitHubWebhookService:
        return GitHubWebhookService(self.webhook_secret, self.deps.pr_reviews, self.previous_webhook_secret)

    @cached_property
    def orchestrator(self) -> OrchestratorStatus | None:
        """None when readiness does not look at the orchestrator (OPSRUNBOOK_READINESS_ORCHESTRATOR=false)."""
        if not self.settings.readiness_orchestrator:
            return None
        return OrchestratorStatus(
            self.deps.heartbeats,
            stale_after_seconds=self.settings.orchestrator_stale_seconds,
            dagster_url=self.settings.dagster_ui_url if self.settings.readiness_dagster_daemon else None,
        )

    @cached_property
    def health(self) -> HealthService:
        return HealthService(
            self.settings,
            self.deps,
            self.api_keys,
            self.webhook_secret,
            self.orchestrator,
            cache_seconds=self.settings.health_cache_seconds,
        )
