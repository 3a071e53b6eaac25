"""Escaping evidence text for Markdown (Dagster UI metadata, GitHub): text from logs, metric
labels and resource names is shown literally, never as markup, links, images or HTML."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def md_text(value: str) -> str:
    """Inline text: every Markdown/HTML-significant character backslash-escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def md_cell(value: str) -> str:
    """A table cell: ``md_text`` (``|`` is escaped there too)."""
    return md_text(value)


def md_code(value: str) -> str:
    """Inline code: a backtick fence longer than any run of backticks inside."""
    text = " ".join(value.split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
