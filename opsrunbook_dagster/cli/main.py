"""Entry point of the ``opsrunbook`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from opsrunbook_dagster.cli import (
    api_cmd,
    demo_cmd,
    eval_cmd,
    fakes_cmd,
    pipeline_cmd,
    sandbox_cmd,
    schemas_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsrunbook", description="OpsRunbook incident analysis for AWS.")
    sub = parser.add_subparsers(dest="command", required=True)
    sandbox_cmd.register(sub)
    schemas_cmd.register(sub)
    pipeline_cmd.register(sub)
    demo_cmd.register(sub)
    api_cmd.register(sub)
    eval_cmd.register(sub)
    fakes_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
