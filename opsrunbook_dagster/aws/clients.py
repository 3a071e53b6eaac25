"""boto3 client construction for a given endpoint/region (sandbox or real AWS)."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

_SESSION_LOCK = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    """One session per process, created on first use: clients share its parsed service models."""
    return boto3.session.Session()


SANDBOX_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go: ``endpoint_url`` is set for the sandbox, ``None`` for real AWS.

    ``sandbox_credentials``: with a custom endpoint, sign with the sandbox's dummy credentials (the
    settings turn it off when ``AWS_ACCESS_KEY_ID`` or ``AWS_PROFILE`` provide real ones)."""

    region: str = "us-east-1"
    endpoint_url: str | None = None
    sandbox_credentials: bool = True

    def client(self, service: str, *, max_attempts: int = 3, read_timeout: float = 30.0) -> Any:
        config = Config(
            region_name=self.region,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=5,
            read_timeout=read_timeout,
            max_pool_connections=32,
        )
        kwargs: dict[str, Any] = {"config": config, "region_name": self.region}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
            if self.sandbox_credentials:
                kwargs.update(SANDBOX_CREDENTIALS)
        with _SESSION_LOCK:  # sessions are not thread-safe; clients are
            return _session().client(service, **kwargs)
