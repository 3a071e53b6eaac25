"""Wait for SIGINT/SIGTERM, even when started from a shell that ignores SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def install_stop_event() -> threading.Event:
    """Return an event set on SIGINT or SIGTERM (resetting an inherited SIG_IGN)."""
    stop = threading.Event()

    def _handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    return stop
