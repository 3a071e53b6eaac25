"""``opsrunbook api``: serve the HTTP API (FastAPI) with uvicorn."""

from __future__ import annotations

import argparse

from opsrunbook_dagster.cli.errors import UsageError, bad_input_exits_2


@bad_input_exits_2
def cmd_api(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: must be between 1 and 65535")
    import uvicorn  # imported here so other commands do not pay for the web stack

    uvicorn.run(
        "opsrunbook_api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    api = sub.add_parser("api", help="serve the HTTP API (settings from the environment, see .env.example)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    api.set_defaults(func=cmd_api)
