"""``opsrunbook schemas export DIR`` and ``opsrunbook validate KIND FILE``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from contracts.registry import CONTRACTS, export_json_schemas
from opsrunbook_dagster.cli.errors import UsageError, bad_input_exits_2
from opsrunbook_dagster.sandbox.scenario import load_scenario


@bad_input_exits_2
def cmd_export(args: argparse.Namespace) -> int:
    for path in export_json_schemas(Path(args.directory)):
        print(path)
    return 0


@bad_input_exits_2
def cmd_validate(args: argparse.Namespace) -> int:
    if args.kind == "scenario":
        scenario = load_scenario(args.file)
        print(f"ok: scenario {scenario.name}")
        return 0
    model = CONTRACTS["incident_event.v1" if args.kind == "incident" else args.kind]
    try:
        raw = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"{args.file}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"{args.file}: invalid JSON: {exc}") from exc
    model.model_validate(raw)
    print(f"ok: {args.kind}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    schemas = sub.add_parser("schemas", help="JSON Schemas of the contracts")
    schemas_sub = schemas.add_subparsers(dest="schemas_command", required=True)
    export = schemas_sub.add_parser("export", help="write every contract's JSON Schema into DIR")
    export.add_argument("directory")
    export.set_defaults(func=cmd_export)
    validate = sub.add_parser("validate", help="validate a scenario file or a contract JSON document")
    validate.add_argument("kind", choices=["scenario", "incident", *sorted(CONTRACTS)])
    validate.add_argument("file")
    validate.set_defaults(func=cmd_validate)
