"""``EvidenceSnapshotV1``: the manifest binding one collector run's evidence objects together."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from contracts.base import Name, Sha256, ShortText, StrictModel, TimeWindow
from contracts.canonical import sha256_hex
from contracts.evidence import Collector, EvidenceBase, SourceStatus
from contracts.limits import LogGroupText


class SnapshotItem(StrictModel):
    collector: Collector
    bucket: Name
    key: Name
    sha256: Sha256
    byte_size: int
    truncated: bool
    status: SourceStatus

    @classmethod
    def of(
        cls, collector: Collector, bucket: str, key: str, body: bytes, evidence: EvidenceBase
    ) -> SnapshotItem:
        """The manifest entry for one stored evidence object (``body`` is exactly what was stored)."""
        return cls(
            collector=collector,
            bucket=bucket,
            key=key,
            sha256=sha256_hex(body),
            byte_size=len(body),
            truncated=evidence.truncated,
            status=evidence.status,
        )


class TopSignature(StrictModel):
    signature: str
    log_group: LogGroupText
    count: int
    baseline_count: int


class RepoMapCopy(StrictModel):
    """The repository map in force when the evidence was bound (``$OPSRUNBOOK_REPO_MAP``), copied
    into the snapshot so that a replay resolves suspected owners with the same rules: the file's
    text as read (or why it could not be read), where it came from and its sha256."""

    model_config = ConfigDict(**{**StrictModel.model_config, "str_strip_whitespace": False})  # text verbatim

    source: ShortText
    text: str | None = Field(default=None, max_length=1_000_000)
    sha256: Sha256 | None = None
    error: ShortText | None = None


class EvidenceSnapshotV1(StrictModel):
    schema_version: Literal["evidence_snapshot.v1"] = "evidence_snapshot.v1"
    incident_id: Name
    run_id: Name
    partition_key: Name
    service: Name
    environment: Name
    window: TimeWindow
    baseline_window: TimeWindow | None = None
    items: list[SnapshotItem] = Field(default_factory=list)
    top_signatures: list[TopSignature] = Field(default_factory=list)
    repo_map: RepoMapCopy | None = None

    @model_serializer(mode="wrap")
    def _without_absent_repo_map(self, handler: SerializerFunctionWrapHandler) -> Any:
        """No map: the key is left out, so a snapshot without one keeps the bytes it always had."""
        data = handler(self)
        if isinstance(data, dict) and data.get("repo_map") is None:
            data.pop("repo_map", None)
        return data

    def item(self, collector: Collector) -> SnapshotItem | None:
        return next((i for i in self.items if i.collector == collector), None)
