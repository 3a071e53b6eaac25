"""Secret redaction applied to every string of an evidence object before it is stored."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "private_key",
        # Without an END marker (a line cut at its byte budget) everything after BEGIN goes.
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.*?-----END [A-Z ]*PRIVATE KEY-----|.*)", re.S),
        "[REDACTED:private_key]",
    ),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), "[REDACTED:jwt]"),
    (
        "bearer_token",
        re.compile(
            r"(?i)\b(bearer)\s+(?:(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}|[A-Za-z0-9\-._~+/]{20,})=*"
        ),
        r"\1 [REDACTED:bearer_token]",
    ),
    (
        "aws_access_key",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
        "[REDACTED:aws_access_key]",
    ),
    (
        "aws_secret_key",
        re.compile(
            r"(?i)(aws_?secret_?access_?key|secretAccessKey)([\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{30,}"
        ),
        r"\1\2[REDACTED:aws_secret_key]",
    ),
    (
        "connection_string",
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://[^:/\s@\"']+):([^@\s/\"']+)@"),
        r"\1:[REDACTED:connection_string]@",
    ),
    (
        "password",
        re.compile(
            r"(?i)(?<![:/])\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)"
            r"(\"?\s*[:=]\s*\"?)(?!\[REDACTED)([^\s\"',;&}]{3,})"
        ),
        r"\1\2[REDACTED:password]",
    ),
)


def redact_text(text: str, hits: Counter[str]) -> str:
    for name, pattern, replacement in _RULES:
        text, count = pattern.subn(replacement, text)
        if count:
            hits[name] += count
    return text


def redact_tree(value: Any, hits: Counter[str]) -> Any:
    """Redact every string in a JSON-like tree (dict keys are left alone)."""
    if isinstance(value, str):
        return redact_text(value, hits)
    if isinstance(value, dict):
        return {k: redact_tree(v, hits) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, hits) for v in value]
    return value
