"""``multipart/form-data`` file uploads, parsed and checked for the fakes (Jira attachments)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from opsrunbook_dagster.fakes.base import HttpError, Request

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
ALLOWED_TYPES = {"image/png": PNG_SIGNATURE}


@dataclass(frozen=True)
class FilePart:
    filename: str
    content_type: str
    body: bytes


def multipart_files(request: Request, reject: Callable[[int, str], HttpError]) -> list[FilePart]:
    """Every ``file`` part; anything else (other fields, no filename, a body that is not what its
    content type says) is rejected with the reason."""
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        raise reject(415, f"attachments need multipart/form-data with a boundary, not {content_type!r}")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.raw
    )
    if not message.is_multipart():
        raise reject(400, "multipart body could not be parsed")
    parts = []
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") != "file":
            raise reject(400, "the multipart field must be named 'file'")
        filename = part.get_filename()
        if not filename or not _SAFE_NAME.match(filename):
            raise reject(400, f"attachment file name {filename!r} missing or unsafe")
        kind = part.get_content_type()
        payload = part.get_payload(decode=True)
        body = payload if isinstance(payload, bytes) else b""
        signature = ALLOWED_TYPES.get(kind)
        if signature is None or not body.startswith(signature):
            raise reject(400, f"{filename}: content is not a valid {kind}")
        parts.append(FilePart(filename, kind, body))
    if not parts:
        raise reject(400, "no file in the multipart body")
    return parts
