"""S3 object store for canonical JSON documents, addressed by key and verified by sha256."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.canonical import canonical_json, sha256_hex

M = TypeVar("M", bound=BaseModel)


class ObjectMissing(LookupError):
    """No object at that key."""


class IntegrityError(ValueError):
    """The stored bytes do not hash to the expected sha256."""


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    sha256: str
    byte_size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class ObjectStore:
    s3: Any
    bucket: str

    def put_bytes(
        self,
        key: str,
        body: bytes,
        metadata: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> StoredObject:
        """Store ``body``; ``metadata`` (provenance such as collected-at) goes beside it, outside the hash."""
        digest = sha256_hex(body)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            Metadata={**(metadata or {}), "sha256": digest},
        )
        return StoredObject(bucket=self.bucket, key=key, sha256=digest, byte_size=len(body))

    def put_json(self, key: str, value: Any) -> StoredObject:
        return self.put_bytes(key, canonical_json(value))

    def get_bytes(self, key: str, expected_sha256: str | None = None) -> bytes:
        try:
            body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey as exc:
            raise ObjectMissing(f"s3://{self.bucket}/{key} does not exist") from exc
        if expected_sha256 is not None and sha256_hex(body) != expected_sha256:
            raise IntegrityError(
                f"s3://{self.bucket}/{key}: sha256 {sha256_hex(body)[:12]}… != {expected_sha256[:12]}…"
            )
        return body

    def get_json(self, key: str, expected_sha256: str | None = None) -> Any:
        return json.loads(self.get_bytes(key, expected_sha256))

    def get_model(self, key: str, model: type[M], expected_sha256: str | None = None) -> M:
        return model.model_validate_json(self.get_bytes(key, expected_sha256))

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
