"""Watch the processes a command started and never leave a silent half-stack.

``opsrunbook demo`` starts the sandbox, ``dagster dev`` (webserver + daemon), the API and the fakes.
If one of them exits, the supervisor says which one and why, restarts it when it can be restarted
(within a budget, so a crash loop ends), and otherwise stops everything with a non-zero exit code.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: A component's health: None while it is fine, else why it is not (e.g. "exited with code -9").
Probe = Callable[[], str | None]


@dataclass
class Component:
    name: str
    probe: Probe
    #: Starts the component again; None when a restart would lose state (e.g. the in-memory sandbox).
    restart: Callable[[], None] | None = None
    restarts: deque[float] = field(default_factory=deque)


@dataclass
class Supervisor:
    components: list[Component]
    say: Callable[[str], None]
    max_restarts: int = 3
    window_seconds: float = 300.0
    interval_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic

    def check(self) -> int | None:
        """One round: None when everything is up (after any restarts), else the exit code to stop with."""
        for component in self.components:
            reason = component.probe()
            if reason is None:
                continue
            self.say(f"{component.name} is down: {reason}")
            now = self.clock()
            while component.restarts and now - component.restarts[0] > self.window_seconds:
                component.restarts.popleft()
            if component.restart is None:
                self.say(
                    f"{component.name} cannot be restarted without losing its state; stopping everything"
                )
                return 1
            if len(component.restarts) >= self.max_restarts:
                self.say(
                    f"{component.name} went down {len(component.restarts) + 1} times in "
                    f"{self.window_seconds:.0f} s; stopping everything"
                )
                return 1
            component.restarts.append(now)
            self.say(f"restarting {component.name} ({len(component.restarts)}/{self.max_restarts})")
            try:
                component.restart()
            except Exception as exc:  # a restart that fails is the same as one more crash
                self.say(f"{component.name} did not come back: {exc}; stopping everything")
                return 1
            self.say(f"{component.name} is back")
        return None

    def watch(self, stop: threading.Event) -> int:
        """Check every ``interval_seconds`` until ``stop`` is set (→ 0) or a component is lost (→ 1)."""
        while not stop.wait(self.interval_seconds):
            code = self.check()
            if code is not None:
                return code
        return 0


def exit_reason(returncode: int | None, log: Path | None = None, lines: int = 5) -> str | None:
    """None for a running process, else its exit code and the last lines of its log."""
    if returncode is None:
        return None
    reason = f"exited with code {returncode}"
    if returncode < 0:
        reason += f" (killed by signal {-returncode})"
    if log is not None and log.exists():
        tail = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()][
            -lines:
        ]
        if tail:
            reason += f"; last lines of {log}:\n    " + "\n    ".join(tail)
    return reason
