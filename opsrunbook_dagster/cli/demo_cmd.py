"""``opsrunbook demo``: start the sandbox, seed the default scenario, show what was created."""

from __future__ import annotations

import argparse
import sys

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.cli.errors import bad_input_exits_2
from opsrunbook_dagster.cli.sandbox_cmd import DEFAULT_SCENARIO, client_env, print_seed_report
from opsrunbook_dagster.cli.signals import install_stop_event
from opsrunbook_dagster.sandbox.bootstrap import ensure_resources
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.sandbox.server import SandboxServer


@bad_input_exits_2
def cmd_demo(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    stop = install_stop_event()
    with SandboxServer(host="127.0.0.1", port=args.port) as server:
        target = AwsTarget(endpoint_url=server.endpoint_url)
        created = ensure_resources(target, ResourceNames.from_env())
        print(f"sandbox: {server.endpoint_url}", file=sys.stderr)
        print(f"  bucket  {', '.join(created['buckets'])}", file=sys.stderr)
        print(f"  tables  {', '.join(created['tables'])}", file=sys.stderr)
        print(
            f"  ssm     {len(created['ssm_parameters'])} placeholder parameters under /opsrunbook/",
            file=sys.stderr,
        )
        report = seed_scenario(target, scenario)
        print_seed_report(report)
        assert report.request is not None
        print("incident request to submit:", file=sys.stderr)
        print(report.request.model_dump_json(indent=2))
        print("environment for other terminals:", file=sys.stderr)
        for key, value in client_env(server.endpoint_url).items():
            print(f"  export {key}={value}", file=sys.stderr)
        if args.once:
            return 0
        print("running; press Ctrl-C to stop", file=sys.stderr)
        sys.stderr.flush()
        stop.wait()
        print("stopping", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="start the sandbox, seed a scenario and keep running until Ctrl-C")
    demo.add_argument("--scenario", default=DEFAULT_SCENARIO)
    demo.add_argument("--port", type=int, default=4566)
    demo.add_argument("--once", action="store_true", help="exit after seeding instead of waiting")
    demo.set_defaults(func=cmd_demo)
