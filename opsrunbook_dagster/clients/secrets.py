"""Secret values that never print, and redaction of every known secret from text and log records.

Every secret a client loads (Jira token, Teams webhook URL, GitHub App key, installation tokens)
is registered here; ``redact`` replaces each one in error messages before they reach a result,
and ``install_log_redaction`` does the same for urllib3's debug log lines (which carry URLs).
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

MASK = "***"
#: Loggers whose records may carry request URLs.
_URL_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests")

_lock = threading.Lock()
_known: set[str] = set()


class Secret:
    """A string that prints as ``***``; ``reveal()`` is the only way to the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("secret", self._value))


def register(value: str) -> None:
    """Remember ``value`` (and, for a URL, its path+query) as text to mask everywhere."""
    if not value or len(value) < 6:
        return
    parts = {value}
    if "://" in value:
        split = urlsplit(value)
        if split.query:
            parts.add(split.query)
            parts.update(p.split("=", 1)[1] for p in split.query.split("&") if "=" in p and len(p) > 8)
        if split.path and len(split.path) > 1:
            parts.add(split.path + (f"?{split.query}" if split.query else ""))
    with _lock:
        _known.update(p for p in parts if len(p) >= 6)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets masked (the record is formatted once, here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_installed: dict[str, Any] = {}


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers that print URLs (idempotent)."""
    with _lock:
        for name in _URL_LOGGERS:
            if name not in _installed:
                flt = RedactingFilter()
                logging.getLogger(name).addFilter(flt)
                _installed[name] = flt
