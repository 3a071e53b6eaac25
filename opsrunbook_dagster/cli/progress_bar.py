"""A progress display for long CLI work, on stderr, only for a person watching.

``rich`` (already installed: Dagster depends on it) draws it; it stays silent when stdout is not a
terminal (a pipe, a file, CI) or the command prints JSON, so scripted output is unchanged.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


def wanted(json_output: bool = False) -> bool:
    """Show progress only to a person: stdout is a terminal and the output is not JSON."""
    return not json_output and sys.stdout.isatty()


class ProgressDisplay:
    """``with ProgressDisplay(enabled, "eval", total=17) as p: p.advance(note="lambda-timeout")``;
    without a total it counts up (items written) with a spinner. Does nothing when not enabled."""

    def __init__(self, enabled: bool, description: str, total: float | None = None) -> None:
        self.enabled = enabled
        self.description = description
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            # imported here: commands that never show progress (``sandbox up``) do not load rich
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            columns = [SpinnerColumn(), TextColumn("{task.description}")]
            if self.total is not None:
                columns += [BarColumn(), MofNCompleteColumn()]
            else:
                columns += [TextColumn("{task.completed:,.0f}")]
            self._progress = Progress(
                *columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total)
        return self

    def advance(self, amount: float = 1, note: str | None = None) -> None:
        if self._progress is not None:
            description = f"{self.description}: {note}" if note else self.description
            self._progress.update(self._task, advance=amount, description=description)

    def update(self, completed: float, total: float | None = None, note: str | None = None) -> None:
        if self._progress is not None:
            description = f"{self.description}: {note}" if note else self.description
            self._progress.update(self._task, completed=completed, total=total, description=description)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
