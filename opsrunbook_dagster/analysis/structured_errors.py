"""The level and the error of a structured (JSON) log line, in the shapes common loggers write.

* Node.js: pino and bunyan write numeric levels (10 trace ... 60 fatal) and the error as an object
  under ``err`` (``type``/``name``, ``message``, ``stack``); winston and others use ``error``.
* Java: logstash-logback-encoder writes ``level`` and the exception as one ``stack_trace`` string
  ("java.lang.IllegalStateException: msg\\n\\tat com.acme.Foo.bar(Foo.java:42)..."); log4j2's
  JsonLayout puts it under ``thrown`` (``name``, ``message``, ``extendedStackTrace``).
* Elastic Common Schema: ``log.level`` and ``error.type`` / ``error.message`` / ``error.stack_trace``,
  nested or as dotted keys.
* Python: python-json-logger writes ``levelname`` and the traceback as ``exc_info``; structlog as
  ``exception``.

Pure and deterministic; :mod:`opsrunbook_dagster.analysis.signatures` builds the signature from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_LEVEL_KEYS = ("level", "severity", "levelname", "log_level", "lvl", "log.level", "loglevel")
#: pino/bunyan numeric levels as the names the rest of the analysis reads (the floor of each)
_NUMERIC_LEVELS = ((60, "FATAL"), (50, "ERROR"), (40, "WARN"), (30, "INFO"), (20, "DEBUG"), (0, "TRACE"))
_OBJECT_KEYS = ("err", "error", "exception", "exc", "thrown", "throwable")
_TYPE_KEYS = ("type", "name", "errorType", "class", "exception_class", "kind", "code")
_MESSAGE_KEYS = ("message", "msg", "errorMessage", "reason")
_STACK_KEYS = (
    "stack",
    "stack_trace",
    "stacktrace",
    "stackTrace",
    "extendedStackTrace",
    "exc_info",
    "traceback",
)
# the first line of a Java or JavaScript stack: "[Caused by: ]java.lang.NullPointerException: msg"
_EXCEPTION_LINE = re.compile(
    r"^(?:Uncaught |Caused by: )?(?P<type>(?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error|Throwable|Fault))"
    r"(?::\s*(?P<msg>.*))?$"
)


@dataclass(frozen=True)
class StructuredError:
    """The error a structured line carries: its type, its message and its stack (may be empty)."""

    error_type: str | None
    message: str
    stack: str


def level_of(doc: dict[str, Any]) -> str | None:
    """The line's level as a name ("ERROR"); numeric pino/bunyan levels are mapped."""
    raw = next((doc[k] for k in _LEVEL_KEYS if k in doc), None)
    if raw is None and isinstance(doc.get("log"), dict):
        raw = doc["log"].get("level")
    if raw is None:
        return None
    if (isinstance(raw, int | float) and not isinstance(raw, bool)) or str(raw).isdigit():
        number = float(raw)
        return next(name for floor, name in _NUMERIC_LEVELS if number >= floor)
    return str(raw).upper()


def error_in(doc: dict[str, Any]) -> StructuredError | None:
    """The error of the line: an error object, else a stack string at the top level, else None."""
    for key in _OBJECT_KEYS:
        value = doc.get(key)
        if isinstance(value, dict) and (found := _from_object(value)):
            return found
    dotted = {k.removeprefix("error."): v for k, v in doc.items() if k.startswith("error.")}
    if dotted and (found := _from_object(dotted)):
        return found
    for key in (*_STACK_KEYS, "exception", "error"):
        value = doc.get(key)
        if isinstance(value, str) and "\n" in value.strip() and (found := _from_stack(value)):
            return found
    return None


def _from_object(obj: dict[str, Any]) -> StructuredError | None:
    stack = next((_text(obj[k]) for k in _STACK_KEYS if obj.get(k)), "")
    parsed = _from_stack(stack) if stack else None
    named = next((str(obj[k]) for k in _TYPE_KEYS if isinstance(obj.get(k), str) and obj[k]), None)
    message = next((str(obj[k]) for k in _MESSAGE_KEYS if isinstance(obj.get(k), str) and obj[k]), None)
    if named is None and parsed is None:
        return None
    return StructuredError(
        error_type=named or (parsed.error_type if parsed else None),
        message=message if message is not None else (parsed.message if parsed else ""),
        stack=stack,
    )


def _from_stack(stack: str) -> StructuredError | None:
    """A stack's exception: a Java or JavaScript stack's first ``Type: message`` line; a Python
    traceback is returned whole, untyped (``signatures`` reads tracebacks); else None."""
    lines = [line.strip() for line in stack.strip().splitlines() if line.strip()]
    if not lines:
        return None
    if lines[0].startswith("Traceback (most recent call last)"):
        return StructuredError(error_type=None, message="", stack=stack)  # signatures parses tracebacks
    match = _EXCEPTION_LINE.match(lines[0])
    if match is None:
        return None
    return StructuredError(error_type=match.group("type"), message=match.group("msg") or "", stack=stack)


def _text(value: Any) -> str:
    """A stack as text: a string, or a list of lines (some loggers write frames as an array)."""
    return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
