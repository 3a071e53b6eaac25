"""API settings from the environment (and an optional ``.env``), read when the app is created:
the deployment's settings (AWS, table and bucket names, Dagster URL) plus the API's own."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from opsrunbook_dagster.settings import OpsRunbookSettings


class Settings(OpsRunbookSettings):
    """Everything the API is configured with. Secrets are ``SecretStr`` and never echoed."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    api_keys: SecretStr | None = Field(
        default=None,
        validation_alias="OPSRUNBOOK_API_KEYS",
        description="Comma-separated API keys (several allowed, for rotation). Unset: read SSM once.",
    )
    api_keys_parameter: str = Field(
        default="/opsrunbook/api/keys", validation_alias="OPSRUNBOOK_API_KEYS_PARAMETER"
    )
    cursor_secret: SecretStr | None = Field(
        default=None,
        validation_alias="OPSRUNBOOK_CURSOR_SECRET",
        description="HMAC key of page cursors. Unset: derived from the API keys (rotating them ends "
        "open cursors, which callers handle by listing again).",
    )
    github_webhook_secret: SecretStr | None = Field(default=None, validation_alias="GITHUB_WEBHOOK_SECRET")
    github_webhook_secret_parameter: str = Field(
        default="/opsrunbook/github/webhook_secret",
        validation_alias="OPSRUNBOOK_GITHUB_WEBHOOK_SECRET_PARAMETER",
    )
    github_webhook_secret_previous: SecretStr | None = Field(
        default=None,
        validation_alias="GITHUB_WEBHOOK_SECRET_PREVIOUS",
        description="Also accepted while a rotation is under way (GitHub and the API change at different times).",
    )
    github_webhook_secret_previous_parameter: str = Field(
        default="/opsrunbook/github/webhook_secret_previous",
        validation_alias="OPSRUNBOOK_GITHUB_WEBHOOK_SECRET_PREVIOUS_PARAMETER",
    )
    secret_ttl_seconds: float = Field(
        default=60.0,
        gt=0,
        validation_alias="OPSRUNBOOK_SECRET_TTL_SECONDS",
        description="SSM-held secrets are re-read after this long (a revoked key stops working within it).",
    )
    readiness_orchestrator: bool = Field(
        default=True,
        validation_alias="OPSRUNBOOK_READINESS_ORCHESTRATOR",
        description="Readiness requires the request sensor's heartbeat to be recent.",
    )
    orchestrator_stale_seconds: float = Field(
        default=60.0, gt=0, validation_alias="OPSRUNBOOK_ORCHESTRATOR_STALE_SECONDS"
    )
    readiness_dagster_daemon: bool = Field(
        default=False,
        validation_alias="OPSRUNBOOK_READINESS_DAGSTER_DAEMON",
        description="Also ask the Dagster webserver (DAGSTER_UI_URL) for its daemons' heartbeats.",
    )
    rate_limit_per_minute: float = Field(
        default=0.0,
        ge=0,
        validation_alias="OPSRUNBOOK_RATE_LIMIT_PER_MINUTE",
        description="Requests per API key per minute, per process (0: off, the local default).",
    )
    rate_limit_burst: int = Field(default=30, ge=1, validation_alias="OPSRUNBOOK_RATE_LIMIT_BURST")
    health_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        validation_alias="OPSRUNBOOK_HEALTH_CACHE_SECONDS",
        description="Readiness (tables, bucket, orchestrator) is probed at most once per this many seconds.",
    )
    max_body_bytes: int = Field(default=256 * 1024, gt=0, validation_alias="OPSRUNBOOK_API_MAX_BODY_BYTES")
    webhook_max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, validation_alias="OPSRUNBOOK_WEBHOOK_MAX_BODY_BYTES"
    )

    @field_validator(
        "api_keys", "cursor_secret", "github_webhook_secret", "github_webhook_secret_previous", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(raw, str) and not raw.strip() else value
