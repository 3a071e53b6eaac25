"""Synthesize the app offline, and keep the sandbox's cached copy of the storage template.

``python -m opsrunbook_cdk.synth --write-storage-template`` (from infra/cdk, or ``make
storage-template``) rewrites ``opsrunbook_dagster/sandbox/storage_template.json``; a test fails when
that copy differs from a fresh synthesis.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
STORAGE_TEMPLATE = REPO_ROOT / "opsrunbook_dagster" / "sandbox" / "storage_template.json"
#: Stack ids (and CloudFormation stack names) of the app.
STACKS = ("OpsRunbookStorage", "OpsRunbookCompute", "OpsRunbookApi")


def silence_node_banner() -> None:
    """jsii prints a banner for end-of-life node majors (node 20 here) unless told which to accept."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def build_app(outdir: str | None = None) -> Any:
    """The CDK app with its three stacks (nothing is looked up: synthesis is offline)."""
    silence_node_banner()
    from aws_cdk import App

    from opsrunbook_cdk.api import ApiStack
    from opsrunbook_cdk.compute import ComputeStack
    from opsrunbook_cdk.storage import StorageStack

    app = App(
        outdir=outdir,
        analytics_reporting=False,
        context={"aws:cdk:enable-path-metadata": False, "aws:cdk:version-reporting": False},
    )
    StorageStack(app, "OpsRunbookStorage")
    ComputeStack(app, "OpsRunbookCompute")
    ApiStack(app, "OpsRunbookApi")
    return app


def synthesize(outdir: str | Path) -> dict[str, dict[str, Any]]:
    """Synthesize into ``outdir``; returns each stack's template."""
    app = build_app(str(outdir))
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def canonical(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", default="cdk.out")
    parser.add_argument("--write-storage-template", action="store_true")
    args = parser.parse_args(argv)
    templates = synthesize(args.outdir)
    for name in sorted(templates):
        print(
            f"{name}: {len(templates[name].get('Resources', {}))} resources -> {args.outdir}/{name}.template.json"
        )
    if args.write_storage_template:
        STORAGE_TEMPLATE.write_text(canonical(templates["OpsRunbookStorage"]))
        print(f"wrote {STORAGE_TEMPLATE.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
