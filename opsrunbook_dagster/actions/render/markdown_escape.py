"""Escaping of untrusted text (evidence, titles, commands) for Markdown, one helper for every writer.

Evidence text must read as text: ``<num>`` or ``<script>`` must not become HTML, a ``|`` must not
split a table cell, a backtick must not open a code span and ``*``/``_``/``[`` must not format or
link. GitHub and the Dagster UI render CommonMark/GFM: HTML-significant characters become entities
and Markdown punctuation is backslash-escaped (both render as the character itself).
"""

from __future__ import annotations

import re

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_PUNCTUATION = re.compile(r"([\\`*_\[\]#|~])")
#: what would start a list, a quote or a heading at the start of a line
_BLOCK_START = re.compile(r"^([-+]|\d+[.)])(?=\s|$)")
_BACKTICKS = re.compile(r"`+")


def md_text(text: str) -> str:
    """Inline Markdown text showing ``text`` literally, on one line (safe in a table cell too)."""
    flat = " ".join(str(text).split())
    escaped = _BLOCK_START.sub(
        lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], _PUNCTUATION.sub(r"\\\1", flat)
    )
    return "".join(_ENTITIES.get(ch, ch) for ch in escaped)


def md_code(text: str) -> str:
    """An inline code span showing ``text`` literally (a fence longer than any backtick run inside;
    ``|`` escaped, which GFM tables require even inside code)."""
    flat = " ".join(str(text).split()).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md_fence(text: str, info: str = "") -> list[str]:
    """A fenced code block holding ``text`` verbatim: the fence is longer than any backtick run in it."""
    fence = "`" * max(3, max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    return [f"{fence}{info}", text, fence]


def md_url(url: str) -> str:
    """A link destination that cannot end the link early or break out of it."""
    return "".join({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}.get(ch, ch) for ch in url)
