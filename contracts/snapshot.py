"""``EvidenceSnapshotV1``: the manifest binding one collector run's evidence objects together."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts._base import Name, Sha256, StrictModel, TimeWindow
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

    def item(self, collector: Collector) -> SnapshotItem | None:
        return next((i for i in self.items if i.collector == collector), None)
