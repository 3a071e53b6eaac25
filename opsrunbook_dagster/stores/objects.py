"""S3 object store for canonical JSON documents, addressed by key and verified by sha256.

Every object is written once: a PUT carries ``If-None-Match: *``, so a second write to a key (a
retried step, a re-materialized partition, two workers racing) never replaces the bytes that are
there; the first writer wins and the caller gets the stored object back (``created=False``) to
compare against. Artifacts whose history matters (action results) are appended under new keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.canonical import canonical_json, sha256_hex

M = TypeVar("M", bound=BaseModel)
#: S3 error codes of a conditional PUT that lost to an existing object (or a concurrent writer).
WRITTEN_BY_ANOTHER = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


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
    #: False when the key already held an object: this is that object, and nothing was written.
    created: bool = True

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class ObjectStore:
    """``memo``: bytes this store wrote or read, served again without a GET (see ``memoized``)."""

    s3: Any
    bucket: str
    memo: dict[str, bytes] | None = field(default=None, repr=False)

    def memoized(self) -> ObjectStore:
        """The same bucket, remembering what it writes and reads: for one pipeline step, which reads
        back what it just wrote (a stage's output, then its check). Objects are written once, so a
        remembered key holds the stored bytes; a new step starts a new memo and reads S3 again."""
        return ObjectStore(self.s3, self.bucket, memo={})

    def _remember(self, key: str, body: bytes) -> None:
        if self.memo is not None:
            self.memo[key] = body

    def put_bytes(
        self,
        key: str,
        body: bytes,
        metadata: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> StoredObject:
        """Store ``body`` unless ``key`` exists (then return the stored object, ``created=False``);
        ``metadata`` (provenance such as collected-at) goes beside it, outside the hash."""
        digest = sha256_hex(body)
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                Metadata={**(metadata or {}), "sha256": digest},
                IfNoneMatch="*",
            )
        except self.s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in WRITTEN_BY_ANOTHER:
                raise
            existing = self.get_bytes(key)
            return StoredObject(self.bucket, key, sha256_hex(existing), len(existing), created=False)
        self._remember(key, body)
        return StoredObject(bucket=self.bucket, key=key, sha256=digest, byte_size=len(body))

    def append_json(self, key: str, value: Any, next_key: Callable[[int], str]) -> StoredObject:
        """Store ``value`` at ``key``, or, when that is taken, at the first free ``next_key(2)``,
        ``next_key(3)``, …: every version is kept and none is replaced."""
        body = canonical_json(value)
        stored = self.put_bytes(key, body)
        attempt = 2
        while not stored.created and stored.sha256 != sha256_hex(body):
            stored = self.put_bytes(next_key(attempt), body)
            attempt += 1
        return stored

    def put_json(self, key: str, value: Any) -> StoredObject:
        return self.put_bytes(key, canonical_json(value))

    def get_bytes(self, key: str, expected_sha256: str | None = None) -> bytes:
        body = self.memo.get(key) if self.memo is not None else None
        if body is None:
            try:
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except self.s3.exceptions.NoSuchKey as exc:
                raise ObjectMissing(f"s3://{self.bucket}/{key} does not exist") from exc
            assert body is not None
            self._remember(key, body)
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
        if self.memo is not None and key in self.memo:
            return True
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
