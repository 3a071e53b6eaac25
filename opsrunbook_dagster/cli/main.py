"""Entry point of the ``opsrunbook`` console script.

Each subcommand's module is imported only when that command runs (all of them for ``--help``), so a
long-lived process such as ``opsrunbook sandbox up`` does not carry the others' dependencies.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: command -> module under opsrunbook_dagster.cli that registers it
COMMANDS = {
    "sandbox": "sandbox_cmd",
    "scenarios": "sandbox_cmd",
    "schemas": "schemas_cmd",
    "validate": "schemas_cmd",
    "submit": "pipeline_cmd",
    "analyze": "pipeline_cmd",
    "replay": "pipeline_cmd",
    "incidents": "incidents_cmd",
    "show": "incidents_cmd",
    "demo": "demo_cmd",
    "api": "api_cmd",
    "eval": "eval_cmd",
    "fakes": "fakes_cmd",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` only, or for every command when it is None or unknown."""
    parser = argparse.ArgumentParser(prog="opsrunbook", description="OpsRunbook incident analysis for AWS.")
    sub = parser.add_subparsers(dest="command", required=True)
    wanted = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in wanted:
        importlib.import_module(f"opsrunbook_dagster.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
