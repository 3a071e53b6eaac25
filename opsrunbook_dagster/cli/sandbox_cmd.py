"""``opsrunbook sandbox up|seed`` and ``opsrunbook scenarios list``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.cli.errors import UsageError, bad_input_exits_2
from opsrunbook_dagster.cli.progress_bar import ProgressDisplay, wanted
from opsrunbook_dagster.cli.signals import install_stop_event
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import blind_names, bundled_names, load_scenario
from opsrunbook_dagster.sandbox.seeder import SeedReport, seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer, configure_moto
from opsrunbook_dagster.settings import OpsRunbookSettings

DEFAULT_SCENARIO = "lambda-timeout"


def client_env(endpoint_url: str, region: str = "us-east-1") -> dict[str, str]:
    """Environment a client (CLI, Dagster, API) needs to talk to the sandbox."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def print_seed_report(report: SeedReport, out: object = sys.stderr) -> None:
    print(f"seeded scenario {report.scenario!r} (now={report.now.isoformat()}):", file=out)  # type: ignore[call-overload]
    for group, count in report.log_events.items():
        print(f"  logs     {group}: {count} events", file=out)  # type: ignore[call-overload]
    for metric, count in report.metric_points.items():
        print(f"  metrics  {metric}: {count} points", file=out)  # type: ignore[call-overload]
    for machine, statuses in report.executions.items():
        summary = ", ".join(f"{k}={v}" for k, v in statuses.items())
        print(f"  stepfn   {machine}: {summary}", file=out)  # type: ignore[call-overload]


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise UsageError("--now must include a timezone, e.g. 2026-11-26T12:00:00Z")
    return moment


def release_startup_memory() -> None:
    """Hand back to the OS the heap moto's start-up left free (~30 MB; glibc only, a no-op elsewhere)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    libc_name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_name) if libc_name else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


@bad_input_exits_2
def cmd_up(args: argparse.Namespace) -> int:
    stop = install_stop_event()
    server = SandboxServer(host=args.host, port=args.port)
    endpoint = server.start()
    try:
        target = AwsTarget(endpoint_url=endpoint)
        ensure_resources(target, OpsRunbookSettings().resource_names())
        for name in args.scenario or []:
            print_seed_report(seed_scenario(target, load_scenario(name)))
        release_startup_memory()
        print(f"sandbox (moto server) listening on {endpoint}", file=sys.stderr)
        print("export these to talk to it:", file=sys.stderr)
        for key, value in client_env(endpoint).items():
            print(f"export {key}={value}")
        sys.stdout.flush()
        stop.wait()
    finally:
        print("stopping sandbox", file=sys.stderr)
        server.stop()
    return 0


@bad_input_exits_2
def cmd_seed(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    settings = OpsRunbookSettings()
    endpoint = args.endpoint or settings.aws_endpoint_url
    if not endpoint:
        raise UsageError("no sandbox endpoint: pass --endpoint or set AWS_ENDPOINT_URL")
    configure_moto(endpoint)
    target = settings.aws_target(endpoint)
    ensure_resources(target, settings.resource_names())
    with ProgressDisplay(wanted(), f"seeding {scenario.name}") as shown:
        report = seed_scenario(
            target, scenario, _parse_now(args.now), progress=lambda what, n: shown.advance(n, note=what)
        )
    print_seed_report(report)
    assert report.request is not None
    print(report.request.model_dump_json(indent=2))
    return 0


@bad_input_exits_2
def cmd_list(args: argparse.Namespace) -> int:
    rows: list[dict[str, str | bool]] = []
    for name in bundled_names() + blind_names():
        scenario = load_scenario(name)
        rows.append(
            {
                "name": name,
                "blind": scenario.blind,
                "service": scenario.service,
                "expected": scenario.expected.root_cause.kind,
                "description": scenario.description.strip().splitlines()[0] if scenario.description else "",
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(str(r["name"])) for r in rows)
    for row in rows:
        blind = "blind" if row["blind"] else ""
        print(f"{row['name']:<{width}}  {blind:<5}  {row['expected']:<16}  {row['description']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sandbox = sub.add_parser("sandbox", help="the embedded AWS sandbox (moto server)")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True)
    up = sandbox_sub.add_parser("up", help="run moto in server mode with the project's resources")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=4566)
    up.add_argument("--scenario", action="append", help="seed this scenario after start (repeatable)")
    up.set_defaults(func=cmd_up)
    seed = sandbox_sub.add_parser("seed", help="seed a running sandbox with a scenario")
    seed.add_argument("scenario", help="bundled scenario name or path to a scenario YAML file")
    seed.add_argument("--endpoint", help="sandbox URL (default: $AWS_ENDPOINT_URL)")
    seed.add_argument("--now", help="pretend the current time is this (ISO-8601 with timezone)")
    seed.set_defaults(func=cmd_seed)
    scenarios = sub.add_parser("scenarios", help="bundled incident scenarios")
    scenarios_sub = scenarios.add_subparsers(dest="scenarios_command", required=True)
    listing = scenarios_sub.add_parser("list", help="list bundled scenarios")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
