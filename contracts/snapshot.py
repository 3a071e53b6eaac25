"""``EvidenceSnapshotV1``: the manifest binding one collector run's evidence objects together."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts._base import Name, Sha256, StrictModel, TimeWindow
from contracts.evidence import Collector, SourceStatus


class SnapshotItem(StrictModel):
    collector: Collector
    bucket: Name
    key: Name
    sha256: Sha256
    byte_size: int
    truncated: bool
    status: SourceStatus


class TopSignature(StrictModel):
    signature: str
    log_group: Name
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
