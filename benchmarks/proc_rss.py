"""Resident memory of a process tree, read from /proc (Linux), in MB."""

from __future__ import annotations

import os
from pathlib import Path


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def _tree(root: int) -> list[int]:
    stack, seen = [root], []
    while stack:
        pid = stack.pop()
        if pid in seen or not Path(f"/proc/{pid}").exists():
            continue
        seen.append(pid)
        stack.extend(_children(pid))
    return seen


def tree(root: int) -> list[int]:
    """``root`` and every descendant still alive."""
    return _tree(root)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def tree_rss_mb(root: int) -> float:
    """Sum of RSS over ``root`` and all its descendants (shared pages counted in every process)."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in _tree(root):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total / 1_000_000


def tree_pss_mb(root: int) -> float:
    """Sum of PSS (shared pages split between the processes sharing them): the tree's real footprint."""
    total_kb = 0
    for pid in _tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, IndexError, ValueError):
            continue
    return total_kb * 1024 / 1_000_000


def role(pid: int) -> str:
    """A short name for a stack process, from its command line (the soak's per-process breakdown)."""
    line = cmdline(pid)
    for needle, name in (
        ("sandbox up", "sandbox"),
        ("watch_orphans", "run log watcher"),  # Dagster's compute-log capture: per run in flight
        ("tail ", "run log watcher"),
        ("forkserver", "forkserver/run worker"),
        ("dagster._daemon", "daemon"),
        ("dagster_webserver", "webserver"),
        ("api grpc", "code server (grpc)"),
        ("code-server", "code server"),
        ("cli.main api", "api"),
        ("dagster dev", "dagster dev"),
    ):
        if needle in line:
            return name
    return line.split(" ")[0].rsplit("/", 1)[-1] or "?"


def rss_by_role_mb(roots: list[int]) -> dict[str, dict[str, float]]:
    """RSS and process count per role over the trees of ``roots``."""
    page = os.sysconf("SC_PAGE_SIZE")
    out: dict[str, dict[str, float]] = {}
    for root in roots:
        for pid in _tree(root):
            try:
                rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page / 1_000_000
            except (OSError, IndexError, ValueError):
                continue
            entry = out.setdefault(role(pid), {"rss_mb": 0.0, "processes": 0})
            entry["rss_mb"] = round(entry["rss_mb"] + rss, 1)
            entry["processes"] += 1
    return dict(sorted(out.items()))
