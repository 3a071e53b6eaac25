"""Soak: one incident every 10 s for 30 minutes through the real stack (`make soak`).

Samples the RSS of every process (sandbox, `dagster dev` with its webserver, daemon and code server,
the API) each minute, and the end-to-end latency of every incident. Reports the growth of the total
RSS after the first 5 minutes (target ≤ 10 %), per process role, without the run workers (their number
follows the minute's load) and without the sandbox (moto holds every stored object in memory), and p95
latency in the first and last 5 minutes
(target: the end within 20 % of the start). Writes benchmarks/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from benchmarks.chaos_stack import ChaosStack
from benchmarks.proc_rss import rss_by_role_mb, tree_rss_mb
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.stores.keys import packet_key

RESULTS = Path(__file__).parent / "results" / "soak.json"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3) if ordered else 0.0


#: Processes that exist while runs are in flight: their RSS follows the load of the minute, not a leak.
TRANSIENT_ROLES = ("forkserver/run worker", "run log watcher")


def growth_figures(
    by_role: list[tuple[float, dict[str, dict[str, float]]]], completed: int
) -> dict[str, object]:
    """Growth per process role from the first sample at or after minute 5 to the last one; the
    total without the run workers (how many are alive depends on the minute's load); and what the
    sandbox (moto keeps every stored object, row and log event in memory) grew per incident."""
    settled = [(minute, roles) for minute, roles in by_role if minute >= 5] or by_role
    if len(settled) < 2:
        return {}
    (_, first), (_, last) = settled[0], settled[-1]

    def mb(roles: dict[str, dict[str, float]], role: str) -> float:
        return roles.get(role, {}).get("rss_mb", 0.0)

    def long_lived(roles: dict[str, dict[str, float]]) -> float:
        return sum(v["rss_mb"] for k, v in roles.items() if k not in TRANSIENT_ROLES)

    out: dict[str, object] = {
        "rss_growth_pct_by_role": {
            role: round((mb(last, role) - mb(first, role)) / mb(first, role) * 100, 1)
            for role in sorted(set(first) | set(last))
            if mb(first, role) > 0
        },
        "rss_growth_pct_long_lived": round(
            (long_lived(last) - long_lived(first)) / long_lived(first) * 100, 1
        ),
        "rss_growth_pct_product": round(
            (long_lived(last) - mb(last, "sandbox") - long_lived(first) + mb(first, "sandbox"))
            / (long_lived(first) - mb(first, "sandbox"))
            * 100,
            1,
        ),
    }
    if completed:
        out["sandbox_mb_per_incident"] = round((mb(last, "sandbox") - mb(first, "sandbox")) / completed, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between incidents")
    args = parser.parse_args(argv)
    with TemporaryDirectory() as home:
        stack = ChaosStack(home=Path(home)).start()
        try:
            report = seed_scenario(
                AwsTarget(endpoint_url=stack.endpoint), load_scenario("lambda-timeout"), datetime.now(UTC)
            )
            assert report.request is not None and stack.sandbox is not None and stack.api is not None
            deps = stack.deps
            started = time.monotonic()
            pending: dict[str, tuple[float, str]] = {}
            latencies: list[tuple[float, float]] = []  # (minute submitted, seconds)
            rss: list[tuple[float, float]] = []
            by_role: list[tuple[float, dict[str, dict[str, float]]]] = []  # which process grows
            n = 0
            while (elapsed := time.monotonic() - started) < args.minutes * 60 or pending:
                if elapsed < args.minutes * 60 and n * args.interval <= elapsed:
                    event = report.request.model_copy(
                        update={"event_id": f"{report.request.event_id}-soak{n}"}
                    )
                    stack.post(event)
                    pending[event.event_id] = (
                        time.monotonic(),
                        packet_key(event.resolved_incident_id, event.run_id),
                    )
                    n += 1
                for event_id, (at, key) in list(pending.items()):
                    if deps.objects.exists(key):
                        latencies.append(((at - started) / 60, time.monotonic() - at))
                        del pending[event_id]
                if not rss or elapsed - rss[-1][0] * 60 >= 60:
                    pids = [stack.sandbox.pid, stack.dagster.process.pid, stack.api.process.pid]  # type: ignore[union-attr]
                    rss.append((elapsed / 60, round(sum(tree_rss_mb(p) for p in pids), 1)))
                    by_role.append((round(elapsed / 60, 2), rss_by_role_mb(pids)))
                if elapsed > args.minutes * 60 + 300:
                    break  # whatever is still pending is reported as such
                time.sleep(0.5)
        finally:
            stack.stop()
    settled = [mb for minute, mb in rss if minute >= 5] or [mb for _, mb in rss]
    window = min(5.0, args.minutes / 3)
    start_lat = [s for m, s in latencies if m < window]
    end_lat = [s for m, s in latencies if m >= args.minutes - window]
    out = {
        "cores": os.cpu_count(),
        "minutes": args.minutes,
        "interval_s": args.interval,
        "submitted": n,
        "completed": len(latencies),
        "still_pending": len(pending),
        "rss_mb_by_minute": rss,
        "rss_by_process_by_minute": by_role,
        "rss_growth_pct": round((settled[-1] - settled[0]) / settled[0] * 100, 1) if settled else None,
        "p95_start_s": _p95(start_lat),
        "p95_end_s": _p95(end_lat),
        **growth_figures(by_role, len([m for m, _ in latencies if m >= 5])),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "rss_mb_by_minute"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
