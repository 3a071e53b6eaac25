"""Verify that every evidence ref in a packet resolves: object exists, sha256 matches, pointer resolves."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonpointer

from contracts.canonical import sha256_hex
from contracts.packet import IncidentPacketV1

#: Reads the bytes stored at an S3 key; raises LookupError when absent.
Reader = Callable[[str], bytes]


def grounding_problems(packet: IncidentPacketV1, read: Reader) -> list[str]:
    """Every unresolvable ref, as one line each (empty list = fully grounded)."""
    problems: list[str] = []
    documents: dict[str, object] = {}
    for finding in packet.findings:
        linked = [
            r
            for link in (*finding.caused_by, *finding.explains)
            for r in (*link.symptom_refs, *link.cause_refs)
        ]
        for ref in [*finding.evidence_refs, *linked]:
            if ref.s3_key not in documents:
                try:
                    body = read(ref.s3_key)
                except LookupError:
                    documents[ref.s3_key] = None
                    problems.append(f"{finding.id}: {ref.s3_key} does not exist")
                    continue
                if sha256_hex(body) != ref.sha256:
                    documents[ref.s3_key] = None
                    problems.append(f"{finding.id}: {ref.s3_key} sha256 mismatch")
                    continue
                documents[ref.s3_key] = json.loads(body)
            document = documents[ref.s3_key]
            if document is None:
                continue
            try:
                jsonpointer.resolve_pointer(document, ref.pointer)
            except jsonpointer.JsonPointerException:
                problems.append(f"{finding.id}: pointer {ref.pointer} does not resolve in {ref.s3_key}")
    return problems
