"""``opsrunbook incidents`` (newest first, as a table) and ``opsrunbook show INCIDENT_ID``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from contracts.canonical import to_jsonable
from opsrunbook_dagster.cli.errors import UsageError, bad_input_exits_2
from opsrunbook_dagster.cli.incident_text import incident_report, incidents_table
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.incident_view import IncidentNotFound, load_view
from opsrunbook_dagster.settings import OpsRunbookSettings
from opsrunbook_dagster.stores.incident_listing import ListFilters, list_incidents
from opsrunbook_dagster.stores.run_status import STATUS_RANK
from opsrunbook_dagster.stores.table_keys import incident_pk

MAX_LIMIT = 200


def _deps(settings: OpsRunbookSettings, endpoint: str | None) -> PipelineDeps:
    return PipelineDeps(target=settings.aws_target(endpoint), names=settings.resource_names())


def _limit(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be 1..{MAX_LIMIT}")
    return value


def _since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("needs a time zone, e.g. 2026-11-26T12:00:00Z")
    return moment


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, sort_keys=True) + "\n")


@bad_input_exits_2
def cmd_incidents(args: argparse.Namespace) -> int:
    deps = _deps(OpsRunbookSettings(), args.endpoint)
    filters = ListFilters(
        status=args.status, service=args.service, environment=args.environment, since=args.since
    )
    page = list_incidents(deps.client("dynamodb"), deps.names.incidents_table, filters, args.limit)
    rows = [
        {
            "incident_id": incident_pk.id_of(str(r["pk"])),
            **{k: v for k, v in r.items() if k not in ("pk", "sk", "listing", "listed_at")},
        }
        for r in page.rows
    ]
    if args.json:
        _print_json({"items": rows, "more": page.next_key is not None})
    else:
        print(incidents_table(rows))
        if page.next_key is not None:
            print(f"(more than {args.limit}: raise --limit, up to {MAX_LIMIT}, or narrow the filters)")
    return 0


@bad_input_exits_2
def cmd_show(args: argparse.Namespace) -> int:
    settings = OpsRunbookSettings()
    deps = _deps(settings, args.endpoint)
    try:
        view = load_view(deps, args.incident_id, args.run, settings.dagster_ui_url)
    except IncidentNotFound as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        _print_json(view.as_json())
    else:
        print(incident_report(view))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    incidents = sub.add_parser("incidents", help="list incidents, newest first")
    incidents.add_argument("--status", choices=sorted(STATUS_RANK))
    incidents.add_argument("--service")
    incidents.add_argument("--environment")
    incidents.add_argument("--since", type=_since, help="created at or after (ISO 8601 with zone)")
    incidents.add_argument("--limit", type=_limit, default=20, help=f"1..{MAX_LIMIT} (default 20)")
    incidents.add_argument("--json", action="store_true")
    incidents.add_argument("--endpoint", help="AWS endpoint (default $AWS_ENDPOINT_URL)")
    incidents.set_defaults(func=cmd_incidents)
    show = sub.add_parser("show", help="one incident run's packet, actions and links as readable text")
    show.add_argument("incident_id")
    show.add_argument("--run", help="this run (default: the latest)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--endpoint", help="AWS endpoint (default $AWS_ENDPOINT_URL)")
    show.set_defaults(func=cmd_show)
