"""Mask the variable parts of a log message (ids, numbers, addresses, times) to get its template."""

from __future__ import annotations

import re
from collections.abc import Sequence

#: (text one of which a match must contain, or None for a digit; pattern; placeholder): a message
#: holding none of them cannot match, and skips the pattern
_MASKS: tuple[tuple[tuple[str, ...] | None, re.Pattern[str], str], ...] = (
    (("arn:aws",), re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{0,12}:[^\s\"',;)\]}]+"), "<arn>"),
    (
        ("-",),
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
        "<ts>",
    ),
    ((":",), re.compile(r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<ts>"),
    (
        ("-",),
        re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
        "<uuid>",
    ),
    ((".",), re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"), "<ip>"),
    (None, re.compile(r"\b(?:0x)?(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<hex>"),
    (None, re.compile(r"(?<![\w<])[-+]?\d+(?:\.\d+)?(?![\w>])"), "<num>"),
)
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


def gated_sub(text: str, rules: Sequence[tuple[tuple[str, ...] | None, re.Pattern[str], str]]) -> str:
    """Apply each ``(needles, pattern, replacement)`` in turn, skipping a pattern when the text holds
    none of its needles (None: no digit), text that cannot match: the same result, less work."""
    for needles, pattern, replacement in rules:
        if any(needle in text for needle in needles) if needles else _DIGIT.search(text):
            text = pattern.sub(replacement, text)
    return text


def mask(text: str) -> str:
    """Replace variable tokens with placeholders; stable for the same input."""
    out = gated_sub(text, _MASKS)
    return _SPACES.sub(" ", out).strip()
