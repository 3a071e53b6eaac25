"""The analyzer's working types: evidence handles in, draft findings out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from contracts.base import Severity
from contracts.evidence import LogsEvidenceV1, MetricsEvidenceV1, StepFnEvidenceV1
from contracts.packet import CausalLink, EvidenceRef, Finding, FindingKind, MetricBand
from contracts.snapshot import EvidenceSnapshotV1


@dataclass(frozen=True)
class EvidenceHandles:
    """The stored evidence objects of one run, with the S3 key and sha256 that refs must cite."""

    snapshot: EvidenceSnapshotV1
    snapshot_key: str
    snapshot_sha256: str
    logs: LogsEvidenceV1 | None = None
    metrics: MetricsEvidenceV1 | None = None
    stepfn: StepFnEvidenceV1 | None = None

    def ref(self, collector: str, pointer: str) -> EvidenceRef:
        item = self.snapshot.item(collector)  # type: ignore[arg-type]
        assert item is not None, f"no {collector} evidence in the snapshot"
        return EvidenceRef(collector=collector, s3_key=item.key, sha256=item.sha256, pointer=pointer)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DraftLink:
    """One end of a causal link between drafts (see ``contracts.packet.CausalLink``)."""

    reason: str
    basis: str
    symptom_refs: list[EvidenceRef]
    cause_refs: list[EvidenceRef]


@dataclass
class Draft:
    """A finding under construction; ``subject`` is the entity it is about (function, table, …)."""

    kind: FindingKind
    title: str
    summary: str
    resource: str
    subject: str
    severity: Severity
    confidence: float
    refs: list[EvidenceRef] = field(default_factory=list)
    signature: str | None = None
    count: int | None = None
    baseline_count: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    frame_file: str | None = None
    supporting: list[str] = field(default_factory=list)
    metric: MetricBand | None = None
    #: The title a reader sees (concrete values, the baseline); ``title`` stays the stable template
    #: that ranking and merging order by, so readable text never changes which finding leads.
    headline: str | None = None
    #: Causal links to other drafts: (the cause, the link) and (the symptom, the link).
    caused_by: list[tuple[Draft, DraftLink]] = field(default_factory=list, compare=False, repr=False)
    explains: list[tuple[Draft, DraftLink]] = field(default_factory=list, compare=False, repr=False)

    @property
    def shown(self) -> str:
        return self.headline or self.title

    @property
    def metric_name(self) -> str:
        """A metric finding's metric (its signature is "<namespace>/<metric>/<stat>", the namespace
        may hold a "/"); "" for any other finding."""
        signature = self.signature or ""
        return signature.rsplit("/", 2)[-2] if self.metric is not None and signature.count("/") >= 2 else ""

    def to_finding(self, ids: dict[int, str] | None = None) -> Finding:
        """The packet's finding; ``ids`` (``id(draft)`` -> finding id) resolves links to the
        findings in the packet (a link to a draft left out of it is dropped)."""
        refs = sorted(
            {(r.collector, r.s3_key, r.pointer): r for r in self.refs}.values(),
            key=lambda r: (r.collector, _pointer_key(r.pointer)),
        )
        summary = self.summary
        if self.supporting:
            summary += " Supporting signals: " + "; ".join(sorted(self.supporting)) + "."
        return Finding(
            kind=self.kind,
            title=self.shown[:300],
            summary=summary[:16000],
            resource=self.resource,
            severity=self.severity,
            confidence=round(self.confidence, 3),
            signature=self.signature,
            count=self.count,
            baseline_count=self.baseline_count,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            evidence_refs=refs,
            metric=self.metric,
            caused_by=_links(self.caused_by, ids or {}),
            explains=_links(self.explains, ids or {}),
        )


def _links(ends: list[tuple[Draft, DraftLink]], ids: dict[int, str]) -> list[CausalLink]:
    links = [
        CausalLink(
            finding_id=ids[id(other)],
            reason=link.reason[:1024],
            basis=link.basis,
            symptom_refs=link.symptom_refs,
            cause_refs=link.cause_refs,
        )
        for other, link in ends
        if id(other) in ids
    ]
    return sorted(links, key=lambda link: (link.finding_id, link.basis, link.reason))


def _pointer_key(pointer: str) -> tuple[object, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pointer.split("/"))
