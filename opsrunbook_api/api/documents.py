"""Stored JSON documents are returned byte for byte, with their run id and sha256 as headers."""

from __future__ import annotations

from fastapi import Response

from contracts.canonical import sha256_hex
from opsrunbook_api.services.artifacts import StoredDocument

DOCUMENT_HEADERS = {
    "X-Run-Id": {"description": "Run the document belongs to", "schema": {"type": "string"}},
    "X-Content-SHA256": {"description": "sha256 of the body (as stored)", "schema": {"type": "string"}},
    "X-S3-Key": {"description": "Where it is stored in the evidence bucket", "schema": {"type": "string"}},
}


def document_response(document: StoredDocument, media_type: str = "application/json") -> Response:
    digest = sha256_hex(document.body)
    return Response(
        content=document.body,
        media_type=media_type,
        headers={
            "X-Run-Id": document.run_id,
            "X-Content-SHA256": digest,
            "X-S3-Key": document.key,
            "ETag": f'"{digest}"',
        },
    )
