"""Intake benchmark: 20 concurrent clients POST /v1/incidents for 30 s against `opsrunbook api` + sandbox.

Writes benchmarks/results/api.json (intake_rps, intake_p50_ms, intake_p99_ms, intake_errors).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from benchmarks.chaos_stack import start_sandbox
from benchmarks.pipeline_bench import _percentile
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.sandbox_cmd import client_env
from opsrunbook_dagster.cli.stack import ApiServer
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.server import free_port

RESULTS = Path(__file__).parent / "results" / "api.json"
CLIENTS = int(os.environ.get("BENCH_API_CLIENTS", "20"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "30"))
KEY = "bench-key-0123456789"


def _body() -> str:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return json.dumps(
        {
            "event_id": f"bench-{uuid.uuid4().hex}",
            "service": "payment-gateway",
            "environment": "prod",
            "time_window": {"start": (end - timedelta(minutes=30)).isoformat(), "end": end.isoformat()},
            "hints": {"log_groups": ["/aws/lambda/payment-gateway"], "lambda_functions": ["payment-gateway"]},
        }
    )


def main() -> int:
    sandbox, endpoint = start_sandbox()
    api = ApiServer(env={**os.environ, **client_env(endpoint), "OPSRUNBOOK_API_KEYS": KEY}, port=free_port())
    try:
        ensure_resources(AwsTarget(endpoint_url=endpoint), ResourceNames())
        api.start()
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + SECONDS

        def client() -> None:
            session = requests.Session()
            headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    ok = (
                        session.post(
                            f"{api.url}/v1/incidents", data=_body(), headers=headers, timeout=10
                        ).status_code
                        == 202
                    )
                except requests.RequestException:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors[0] += 0 if ok else 1

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
    finally:
        api.stop()
        sandbox.terminate()
        sandbox.wait(timeout=30)
    out = {
        "clients": CLIENTS,
        "seconds": round(wall, 1),
        "requests": len(latencies),
        "intake_rps": round(len(latencies) / wall, 1),
        "intake_p50_ms": round(_percentile(latencies, 0.5), 1),
        "intake_p99_ms": round(_percentile(latencies, 0.99), 1),
        "intake_errors": errors[0],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(
        f"intake: {out['intake_rps']} req/s, p50 {out['intake_p50_ms']} ms, p99 {out['intake_p99_ms']} ms (target ≤ 100), errors {out['intake_errors']}"
    )
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
