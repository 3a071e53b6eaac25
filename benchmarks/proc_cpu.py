"""CPU time of the local stack's processes, by role, read from /proc (Linux).

A run worker lives a second or two, too short to sample reliably; the kernel adds a reaped child's CPU
time (its own and its reaped children's) to its parent's ``cutime``/``cstime``. So a snapshot records,
for every process of the stack, its own CPU and the CPU of the children it has reaped; the difference of
two snapshots is the CPU each role spent in between, run workers included (as the reaped children of
the forkserver with the local launcher, of the code server with Dagster's stock launcher).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchmarks.proc_rss import cmdline, tree

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

#: (role, substring of the command line), first match wins; children of a run worker (compute-log
#: ``tail``) are reaped by it and so count as the run worker's.
ROLES = (
    ("profiler", "py-spy"),
    ("forkserver", "multiprocessing.forkserver"),
    ("run_worker", "multiprocessing.spawn"),
    ("run_worker", "api execute_run"),
    ("webserver", "dagster-webserver"),
    ("webserver", "dagster_webserver"),
    ("daemon", "dagster-daemon"),
    ("daemon", "dagster._daemon"),
    ("code_server", "api grpc"),
    ("code_server", "code-server"),
    ("dagster_dev", "dagster dev"),
    ("sandbox", "sandbox up"),
)
#: the role of a process's *reaped* children: the forkserver and (stock launcher) the code server reap
#: run workers; any other process's reaped children count as ``<role>_children``
REAPED_ROLE = {"forkserver": "run_worker", "code_server": "run_worker", "run_worker": "run_worker"}


def role_of(cmd: str) -> str:
    return next((role for role, needle in ROLES if needle in cmd), "other")


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own utime+stime, reaped children's cutime+cstime), times in seconds; None if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    own = int(fields[11]) + int(fields[12])
    reaped = int(fields[13]) + int(fields[14])
    return int(fields[1]), own / CLOCK_TICKS, reaped / CLOCK_TICKS


@dataclass(frozen=True)
class Proc:
    pid: int
    role: str
    own_s: float
    reaped_s: float


def snapshot(roots: dict[str, int]) -> dict[int, Proc]:
    """Every live process under ``roots`` ({default role: root pid}); roles from the command line.

    A root's own role is its key (the sandbox root is ``sandbox``, the bench process ``bench``)."""
    procs: dict[int, Proc] = {}
    for default, root in roots.items():
        for pid in tree(root):  # parents before their children
            stat = _stat(pid)
            if stat is None or pid in procs:
                continue
            parent, own, reaped = stat
            role = default if pid == root else role_of(cmdline(pid))
            if role == "other":
                role = default
            if role == "forkserver" and parent in procs and procs[parent].role == "forkserver":
                role = "run_worker"  # a fork of the forkserver keeps its command line
            procs[pid] = Proc(pid, role, own, reaped)
    return procs


def cpu_by_role(before: dict[int, Proc], after: dict[int, Proc]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, per role (reaped children under their own role).

    A process present in both counts its deltas; a new one all of its time. A process that existed
    before and exited since is counted through its parent's reaped time (its CPU before ``before`` is
    then counted too: take ``before`` when nothing short-lived is running)."""
    spent: dict[str, float] = {}

    def add(role: str, seconds: float) -> None:
        spent[role] = round(spent.get(role, 0.0) + max(0.0, seconds), 3)

    for pid, now in after.items():
        then = before.get(pid)
        own = now.own_s - (then.own_s if then else 0.0)
        reaped = now.reaped_s - (then.reaped_s if then else 0.0)
        add(now.role, own)
        if reaped > 0:
            add(REAPED_ROLE.get(now.role, f"{now.role}_children"), reaped)
    return dict(sorted(spent.items()))
