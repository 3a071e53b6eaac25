"""Postgres server CPU of an incident run on Dagster's Postgres storage, direct and through PgBouncer.

dagster-postgres opens every storage connection with SQLAlchemy's ``NullPool``: each read or write
of the run, event log and schedule storages is a new connection, so a new server backend (a fork of
the postmaster that warms its catalog caches). This measures, in process (``execute_in_process`` on
the sandbox, scenario ``lambda-timeout``, N runs after one warm-up), per run: the run's own CPU, the
Postgres server's CPU (every process under the postmaster, live or reaped), PgBouncer's CPU, and the
server sessions started (``pg_stat_database.sessions``) — first directly, then through a PgBouncer in
session pooling mode (what RDS Proxy does in AWS). Needs PostgreSQL and ``pgbouncer`` binaries
(Debian: ``apt-get install postgresql pgbouncer``). Writes benchmarks/results/pg_pool.json.

    python -m benchmarks.pg_pool [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import psycopg2

from benchmarks.chaos_stack import start_sandbox
from benchmarks.proc_cpu import snapshot
from contracts.ids import partition_key
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.definitions import defs
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox import postgres
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import free_port

RESULTS = Path(__file__).parent / "results" / "pg_pool.json"
SCENARIO = "lambda-timeout"


def _tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process and everything under it (live processes' own, exited ones' via reaper)."""
    if pid is None:
        return 0.0
    return sum(p.own_s + p.reaped_s for p in snapshot({"measured": pid}).values())


def _sessions(admin_url: str, db: str) -> int:
    conn = psycopg2.connect(postgres.libpq_url(admin_url))
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (db,))
            row = cursor.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


def _pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    return found if Path(found).exists() else None


@contextmanager
def _pgbouncer(server_port: int) -> Iterator[tuple[int, int]]:
    """A PgBouncer (session pooling) in front of the server: yields (its port, its pid)."""
    binary = _pgbouncer_binary()
    assert binary is not None
    home = Path(tempfile.mkdtemp(prefix="opsrunbook-pgbouncer-"))
    home.chmod(0o777)  # the server's user (postgres, when run as root) writes its log here
    port = free_port()
    (home / "users.txt").write_text(f'"{postgres.SUPERUSER}" ""\n')
    (home / "pgbouncer.ini").write_text(
        f"[databases]\n* = host=127.0.0.1 port={server_port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {home}/users.txt\n"
        f"pool_mode = session\nmax_client_conn = 500\ndefault_pool_size = 40\nlogfile = {home}/pgbouncer.log\n"
    )
    command = [binary, str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        command = ["runuser", "-u", postgres.SUPERUSER, "--", *command]
    process = subprocess.Popen(command)
    try:
        time.sleep(1.5)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def _measure(deps: PipelineDeps, request, url: str, runs: int, tag: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    job = defs.resolve_job_def("incident_job")
    with (
        tempfile.TemporaryDirectory() as home,
        dg.instance_for_test(
            temp_dir=home, overrides={"storage": {"postgres": {"postgres_url": url}}}
        ) as instance,
    ):
        keys = []
        for i in range(runs + 1):
            event = request.model_copy(update={"event_id": f"{request.event_id}-{tag}{i}"})
            outcome = deps.requests.submit(event)
            keys.append(partition_key(outcome.incident_id, outcome.run_id))
        instance.add_dynamic_partitions("incident_runs", keys)
        job.execute_in_process(partition_key=keys[0], instance=instance)  # warm-up
        started = time.process_time(), time.perf_counter()
        for key in keys[1:]:
            assert job.execute_in_process(partition_key=key, instance=instance).success
        return {
            "run_cpu_s": (time.process_time() - started[0]) / runs,
            "wall_s": (time.perf_counter() - started[1]) / runs,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_pool", description=__doc__)
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args(argv)
    if _pgbouncer_binary() is None or postgres.bin_dir() is None:
        print(
            "pg_pool: skipped (needs PostgreSQL and pgbouncer binaries: apt-get install postgresql pgbouncer)"
        )
        return 0
    sandbox, endpoint = start_sandbox()
    os.environ.update(AWS_ENDPOINT_URL=endpoint, OPSRUNBOOK_ALLOW_LOOPBACK_HTTP="true")
    out: dict[str, object] = {"scenario": SCENARIO, "runs": args.runs, "cores": os.cpu_count()}
    try:
        target = AwsTarget(endpoint_url=endpoint)
        ensure_resources(target, ResourceNames())
        deps = PipelineDeps(target=target, names=ResourceNames())
        request = seed_scenario(
            target, load_scenario(SCENARIO), datetime.now(UTC).replace(microsecond=0)
        ).request
        with postgres.throwaway_postgres() as server:
            server_port = int(server.url.rsplit(":", 1)[1].split("/")[0])
            for mode in ("direct", "pgbouncer"):
                db = f"pool_{mode}"
                url = server.create_database(db)
                pooler = _pgbouncer(server_port) if mode == "pgbouncer" else nullcontext((0, None))
                with pooler as (port, pid):
                    if port:
                        url = url.replace(f":{server_port}/", f":{port}/")
                    before = _sessions(server.url, db), _tree_cpu(server.pid), _tree_cpu(pid)
                    figures = _measure(deps, request, url, args.runs, mode)
                    after = _sessions(server.url, db), _tree_cpu(server.pid), _tree_cpu(pid)
                figures.update(
                    server_sessions=(after[0] - before[0]) / args.runs,
                    postgres_server_cpu_s=(after[1] - before[1]) / args.runs,
                    pgbouncer_cpu_s=(after[2] - before[2]) / args.runs,
                )
                out[mode] = {k: round(v, 3) for k, v in figures.items()}
                print(mode, out[mode], flush=True)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    out["measured_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
