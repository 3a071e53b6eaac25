"""Where two JSON documents differ, as RFC 6901 pointers (for replay reports)."""

from __future__ import annotations

from typing import Any

MAX_DIFFS = 50


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def json_diffs(old: Any, new: Any, pointer: str = "", out: list[str] | None = None) -> list[str]:
    out = [] if out is None else out
    if len(out) >= MAX_DIFFS:
        return out
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                out.append(f"{pointer}/{_escape(key)}")
            else:
                json_diffs(old[key], new[key], f"{pointer}/{_escape(key)}", out)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            if index >= len(old) or index >= len(new):
                out.append(f"{pointer}/{index}")
            else:
                json_diffs(old[index], new[index], f"{pointer}/{index}", out)
    elif old != new:
        out.append(pointer or "/")
    return out[:MAX_DIFFS]
