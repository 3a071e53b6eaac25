"""Readable finding titles: the mined template filled with the values of one real occurrence.

A log finding's signature is a template (``Task timed out after <num> seconds``) and stays in the
finding as its signature; its title shows what an engineer would see in the logs, taken from one
representative row of the stored (redacted) evidence: the first occurrence in the incident window
by (timestamp, row index), so the same evidence always gives the same title.
"""

from __future__ import annotations

import json
import re

from contracts.base import TimeWindow

_PLACEHOLDER = re.compile(r"<\*>|<[a-z_]+>")
MAX_EXAMPLE_CHARS = 160


def span(seconds: float) -> str:
    """A window's length: minutes up to two hours, hours up to two days, then days."""
    hours = seconds / 3_600.0
    if hours < 2.0:
        return f"{seconds / 60.0:.0f} min"
    return f"{hours:.3g} h" if hours < 48.0 else f"{hours / 24.0:.3g} d"


def window_span(window: TimeWindow | None) -> str | None:
    return span((window.end - window.start).total_seconds()) if window else None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"


def filled(template: str, message: str, frame_file: str | None = None) -> str | None:
    """``template`` with each placeholder replaced by what it stands for in ``message`` (one line of
    the message must contain the whole template); None when the message does not fit it."""
    suffix = f" at {frame_file}" if frame_file and template.endswith(f" at {frame_file}") else ""
    core = template[: len(template) - len(suffix)] if suffix else template
    parts = _PLACEHOLDER.split(core)
    if len(parts) == 1:
        return None  # no placeholder: the template already is the text
    # a placeholder is lazy up to the next literal; one that ends the template takes the line's rest
    pattern = "".join(
        re.escape(part)
        + (
            ""
            if i == len(parts) - 1
            else "([^\n]+)"
            if i == len(parts) - 2 and not parts[-1]
            else "([^\n]+?)"
        )
        for i, part in enumerate(parts)
    )
    match = re.search(pattern, message)
    if match is None:
        return None
    return _clip(match.group(0)) + suffix


def example_text(template: str, message: str, frame_file: str | None = None) -> str:
    """What a title shows for ``template``: filled from ``message``, else the template when it has no
    placeholder, else the message's first line."""
    text = filled(template, message, frame_file)
    if text is not None:
        return text
    if not _PLACEHOLDER.search(template):
        return template
    if message.lstrip().startswith("{") and (strings := _strings_of(message)):
        # a structured line: its signature was built from decoded fields (the error's type, frame
        # and message), so fill the template's message part from them; never show the raw JSON
        for cut in (m.end() for m in re.finditer(": ", template)):
            tail = filled(template[cut:], strings)
            if tail is not None:
                return _clip(template[:cut] + tail)
        return _clip(template)
    lines = [line for line in message.splitlines() if line.strip()]
    return _clip(lines[0]) if lines else template


def _strings_of(message: str) -> str:
    """Every string value of a JSON line, one per line (empty when it is not JSON)."""
    try:
        doc = json.loads(message)
    except json.JSONDecodeError:
        return ""
    found: list[str] = []
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, str):
            found.append(value)
    return "\n".join(found)


def log_title(
    subject: str, text: str, count: int, baseline_count: int, window: str | None, baseline: str | None
) -> str:
    """``subject: text — N times in 30 min, M in the 24 h before``."""
    where = f" in {window}" if window else " in the window"
    before = f", {baseline_count} in the {baseline} before" if baseline else ""
    times = "time" if count == 1 else "times"
    return f"{subject}: {_clip(text)} — {count} {times}{where}{before}"


def metric_title(subject: str, metric: str, stat: str, description: str) -> str:
    """``subject: Duration (p99) spike: 5980 vs baseline median 1020`` (the description without the
    baseline's extent, which the summary keeps)."""
    short = re.split(r" over the | from \d{4}-", description, maxsplit=1)[0]
    return f"{subject}: {metric} ({stat}) {short}"
