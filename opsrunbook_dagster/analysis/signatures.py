"""The signature of a log event: what stays the same across occurrences of one problem."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from opsrunbook_dagster.analysis.lambda_platform import OOM_RE, TIMEOUT_RE
from opsrunbook_dagster.analysis.masking import mask
from opsrunbook_dagster.analysis.structured_errors import error_in, level_of

MAX_SIGNATURE_CHARS = 300
# "2026-11-26T10:00:00.000Z\t<request id>\tERROR\t…" (Node) and "[ERROR]\t<ts>\t<request id>\t…" (Python)
_LAMBDA_PREFIX = re.compile(
    r"^(?:\[(?P<lvl1>[A-Z]+)\]\s+)?(?:\d{4}-\d{2}-\d{2}T[\d:.]+Z?\s+)?(?:\[(?P<lvl3>[A-Z]+)\]\s+)?"
    r"(?:[0-9a-f]{8}-[0-9a-f-]{27}\s+)?(?:(?P<lvl2>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\s+)?"
)
_PY_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>\S+)')
_PY_EXC = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault)|[A-Za-z_][\w.]*\.[A-Z]\w*)(?::\s*(?P<msg>.*))?$"
)
_NODE_FRAME = re.compile(r"at (?:(?P<fn>[\w.$<>]+) )?\(?(?P<file>/[^\s():]+):(?P<line>\d+):\d+\)?")
_JAVA_FRAME = re.compile(r"at (?P<fn>[\w.$]+)\((?P<file>[\w$]+\.java):(?P<line>\d+)\)")
_TYPE_KEYS = ("errorType", "error_type", "exception", "exc_type", "errorCode", "error_code")
_MESSAGE_KEYS = ("errorMessage", "message", "msg", "error", "event")
_LIBRARY_PATHS = (
    "site-packages",
    "dist-packages",
    "/var/runtime/",
    "/var/lang/",
    "/usr/lib/python",
    "node_modules",
    "node:internal",
)
# Node.js runtimes log an uncaught error as "Invoke Error \t{json}" / "Uncaught Exception \t{json}"
# (errorType, errorMessage and the stack as a list of lines).
_NODE_UNCAUGHT = re.compile(
    r"^(?:Invoke Error|Uncaught Exception|Unhandled Promise Rejection)\s*(?P<body>\{.*\})\s*$", re.S
)
_LAMBDA_PATHS = ("/var/task/", "/opt/python/", "/opt/nodejs/", "/var/runtime/", "/opt/")


@dataclass(frozen=True)
class Signature:
    level: str | None
    error_type: str | None
    frame_file: str | None = None
    frame_line: int | None = None
    #: The plain one-line message (prefix stripped) when nothing more specific applied: the miner groups these.
    body: str | None = None
    #: The signature's text where a rule built it; None for a plain line (``body``), masked on first use.
    given_text: str | None = field(default=None, repr=False)

    @cached_property
    def text(self) -> str:
        """The text occurrences of one problem share: a plain line's masked body, asked only where
        no mined template stands for it (most plain lines never need it)."""
        if self.given_text is not None:
            return self.given_text
        return mask(self.body or "")[:MAX_SIGNATURE_CHARS]


def normalise_path(path: str) -> str:
    for prefix in _LAMBDA_PATHS:
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path.lstrip("/")


def _traceback(message: str) -> Signature | None:
    if "Traceback (most recent call last)" not in message:
        return None
    frames = list(_PY_FRAME.finditer(message))
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    exc_type, exc_msg = "Exception", ""
    # Lambda's Python runtime puts "[ERROR] Type: message" first; plain tracebacks end with it.
    first = lines[0] if lines else ""
    prefix = _LAMBDA_PREFIX.match(first)
    candidates = [first[prefix.end() :] if prefix else first, *reversed(lines[1:])]
    for line in candidates:
        match = _PY_EXC.match(line)
        if match:
            exc_type, exc_msg = match.group("type"), match.group("msg") or ""
            break
    own = [f for f in frames if not any(part in f.group("file") for part in _LIBRARY_PATHS)]
    frame = (own or frames)[-1] if frames else None
    where = f" at {normalise_path(frame.group('file'))}:{frame.group('fn')}" if frame else ""
    text = f"{exc_type}{where}: {mask(exc_msg)}".rstrip(": ")
    return Signature(
        given_text=text[:MAX_SIGNATURE_CHARS],
        level="ERROR",
        error_type=exc_type,
        frame_file=normalise_path(frame.group("file")) if frame else None,
        frame_line=int(frame.group("line")) if frame else None,
    )


def _json(body: str) -> Signature | None:
    if not body.startswith("{"):
        return None
    try:
        doc = json.loads(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    level = level_of(doc)
    # a type is one line: a multi-line value under such a key is a traceback (structlog's "exception")
    error_type = next((doc[k] for k in _TYPE_KEYS if isinstance(doc.get(k), str) and _one_line(doc[k])), None)
    message = next((str(doc[k]) for k in _MESSAGE_KEYS if isinstance(doc.get(k), str) and doc[k]), "")
    nested = None if error_type else error_in(doc)
    if nested is not None:
        return _with_stack(level, nested.error_type, nested.message or message, nested.stack)
    parts = [p for p in (level, f"{error_type}:" if error_type else None, mask(message)) if p]
    return Signature(given_text=" ".join(parts)[:MAX_SIGNATURE_CHARS], level=level, error_type=error_type)


def _one_line(value: str) -> bool:
    return bool(value.strip()) and "\n" not in value.strip()


def _with_stack(level: str | None, error_type: str | None, message: str, stack: str) -> Signature:
    """A structured line's error with its stack: a Python traceback as :func:`_traceback` reads it,
    else the type, the first frame of the service's own code and the error's message."""
    if (traceback := _traceback(stack)) is not None:
        return Signature(
            given_text=traceback.given_text,
            level=level or "ERROR",
            error_type=traceback.error_type,
            frame_file=traceback.frame_file,
            frame_line=traceback.frame_line,
        )
    frames = sorted((*_NODE_FRAME.finditer(stack), *_JAVA_FRAME.finditer(stack)), key=lambda f: f.start())
    own = [f for f in frames if not any(part in f.group("file") for part in _LIBRARY_PATHS)]
    frame = (own or frames)[0] if frames else None
    where = f" at {normalise_path(frame.group('file'))}" if frame else ""
    parts = [p for p in (level, f"{error_type}{where}:" if error_type else None, mask(message)) if p]
    return Signature(
        given_text=" ".join(parts).rstrip(":")[:MAX_SIGNATURE_CHARS],
        level=level or "ERROR",
        error_type=error_type,
        frame_file=normalise_path(frame.group("file")) if frame else None,
        frame_line=int(frame.group("line")) if frame else None,
    )


def _node_uncaught(body: str) -> Signature | None:
    match = _NODE_UNCAUGHT.match(body)
    if not match:
        return None
    try:
        doc = json.loads(match.group("body"))
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not doc.get("errorType"):
        return None
    error_type = str(doc["errorType"])
    raw_stack = doc.get("stack")
    stack = raw_stack if isinstance(raw_stack, list) else []
    frames = [f for line in stack if (f := _NODE_FRAME.search(str(line)))]
    own = [f for f in frames if not any(part in f.group("file") for part in _LIBRARY_PATHS)]
    frame = (own or frames)[0] if frames else None
    where = f" at {normalise_path(frame.group('file'))}" if frame else ""
    text = f"{error_type}{where}: {mask(str(doc.get('errorMessage') or ''))}".rstrip(": ")
    return Signature(
        given_text=text[:MAX_SIGNATURE_CHARS],
        level="ERROR",
        error_type=error_type,
        frame_file=normalise_path(frame.group("file")) if frame else None,
        frame_line=int(frame.group("line")) if frame else None,
    )


def has_stack(message: str) -> bool:
    """True when the event carries a stack trace (Python, Node.js or Java): an unhandled exception."""
    if "Traceback (most recent call last)" in message:
        return True
    if '"stack":[' in message.replace(" ", "") and _NODE_FRAME.search(message):
        return True
    # a real line break, or one escaped inside a JSON string (a structured logger's stack field)
    newline = "\n" in message or "\\n" in message
    return newline and bool(_NODE_FRAME.search(message) or _JAVA_FRAME.search(message))


def signature_of(message: str) -> Signature:
    """Deterministic signature for one log event (single- or multi-line)."""
    # a JSON line's traceback is one of its string fields (escaped): ``_json`` reads it from there
    traceback = None if message.lstrip().startswith("{") else _traceback(message)
    if traceback:
        return traceback
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    timeout = TIMEOUT_RE.search(first_line)
    if timeout:
        return Signature(
            given_text="Task timed out after <num> seconds", level="ERROR", error_type="Lambda.Timeout"
        )
    prefix = _LAMBDA_PREFIX.match(first_line)
    level = (prefix.group("lvl1") or prefix.group("lvl3") or prefix.group("lvl2")) if prefix else None
    body = first_line[prefix.end() :] if prefix else first_line
    uncaught = _node_uncaught(body)
    if uncaught:
        return uncaught
    structured = _json(body)
    if structured:
        return structured
    if OOM_RE.search(message):
        return Signature(
            given_text=mask(body)[:MAX_SIGNATURE_CHARS],
            level=level or "ERROR",
            error_type="Runtime.OutOfMemory",
        )
    frame = _NODE_FRAME.search(message) or _JAVA_FRAME.search(message)
    if frame and "\n" in message:
        frame_file = normalise_path(frame.group("file"))
        return Signature(
            given_text=f"{mask(body)} at {frame_file}"[:MAX_SIGNATURE_CHARS],
            level=level,
            error_type=None,
            frame_file=frame_file,
        )
    return Signature(level=level, error_type=None, body=body)
