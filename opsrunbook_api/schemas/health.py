"""Health report model."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CheckOut(BaseModel):
    ok: bool
    detail: str = ""


class SecretConfigOut(BaseModel):
    source: str = Field(description="`env`, or `ssm:<parameter name>`; never the value.")
    loaded: bool


class ConfigSummary(BaseModel):
    aws_region: str
    aws_endpoint_url: str | None
    tables: dict[str, str]
    evidence_bucket: str
    dagster_ui_url: str
    max_body_bytes: int
    api_keys: SecretConfigOut
    github_webhook_secret: SecretConfigOut


class HealthOut(BaseModel):
    status: str = Field(description="`ok` when ready, else `degraded`.")
    live: bool
    ready: bool
    checks: dict[str, CheckOut]
    config: ConfigSummary


class HealthSummaryOut(BaseModel):
    """What an unauthenticated probe learns: two booleans."""

    live: bool
    ready: bool
