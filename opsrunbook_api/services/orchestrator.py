"""Is anything processing the requests the API stores? The orchestrator's part of readiness.

Two signals, both cheap and both read from where the API can reach them:
- the request sensor's heartbeat row (``HEARTBEAT#incident_request_sensor`` in the requests
  table, written every ~10 s by each tick): stale means no sensor loop is running — the daemon died,
  the sensor is stopped or the code location does not load — and requests wait in the table;
- optionally, the Dagster daemons' own heartbeats, asked of the webserver's GraphQL API
  (``OPSRUNBOOK_READINESS_DAGSTER_DAEMON=true`` where the API can reach the webserver).
Results are cached for a few seconds, so intake and probes cost one read per interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from opsrunbook_api.schemas.health import CheckOut
from opsrunbook_dagster.stores.heartbeats import HeartbeatStore

SENSOR = "incident_request_sensor"
DAEMON_HEALTH = "{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"


def sensor_check(heartbeats: HeartbeatStore, now: datetime, stale_after: float) -> CheckOut:
    try:
        beat = heartbeats.last(SENSOR)
    except Exception as exc:
        return CheckOut(ok=False, detail=f"heartbeat unreadable ({type(exc).__name__})")
    if beat is None:
        return CheckOut(
            ok=False, detail="the request sensor has never ticked: is the Dagster daemon running?"
        )
    age = beat.age_seconds(now)
    waiting = f"{beat.facts.get('pending', 0)} waiting, oldest {beat.facts.get('oldest_pending_age_s', 0)} s"
    if age > stale_after:
        return CheckOut(
            ok=False,
            detail=f"the request sensor last ticked {age:.0f} s ago (> {stale_after:.0f} s): the Dagster daemon is "
            f"down or the sensor is stopped; requests wait in the table ({waiting})",
        )
    return CheckOut(ok=True, detail=f"ticked {age:.0f} s ago; {waiting}")


def daemon_check(dagster_url: str, timeout: float = 3.0) -> CheckOut:
    try:
        response = requests.post(
            f"{dagster_url.rstrip('/')}/graphql", json={"query": DAEMON_HEALTH}, timeout=timeout
        )
        statuses = response.json()["data"]["instance"]["daemonHealth"]["allDaemonStatuses"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        return CheckOut(ok=False, detail=f"Dagster webserver unreachable ({type(exc).__name__})")
    down = sorted(s["daemonType"] for s in statuses if s.get("required") and not s.get("healthy"))
    if down:
        return CheckOut(ok=False, detail=f"daemons without a recent heartbeat: {', '.join(down)}")
    return CheckOut(ok=True, detail=f"{sum(1 for s in statuses if s.get('required'))} daemons healthy")


@dataclass
class OrchestratorStatus:
    heartbeats: HeartbeatStore
    stale_after_seconds: float = 60.0
    dagster_url: str | None = None
    ttl_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _cached: tuple[float, dict[str, CheckOut]] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def checks(self) -> dict[str, CheckOut]:
        with self._lock:
            if self._cached is not None and self.clock() - self._cached[0] < self.ttl_seconds:
                return self._cached[1]
        checks = {
            "orchestrator:request_sensor": sensor_check(
                self.heartbeats, datetime.now(UTC), self.stale_after_seconds
            )
        }
        if self.dagster_url:
            checks["orchestrator:dagster_daemon"] = daemon_check(self.dagster_url)
        with self._lock:
            self._cached = (self.clock(), checks)
        return checks

    def delay_note(self) -> str | None:
        """None when requests are being picked up; else why a stored request will wait."""
        problems = [c.detail for c in self.checks().values() if not c.ok]
        return "; ".join(problems) if problems else None
