"""The CDK app synthesized once per session (~10-15 s) into a temporary directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

CDK_DIR = Path(__file__).resolve().parents[2] / "infra" / "cdk"


def cdk_importable() -> None:
    """infra/cdk is an app directory, not an installed package: put it on the path (tests only)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    pytest.importorskip("aws_cdk", reason="the 'deploy' extra (aws-cdk-lib) is not installed: make install")
    if str(CDK_DIR) not in sys.path:
        sys.path.insert(0, str(CDK_DIR))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """{"outdir": Path, "templates": {stack: template}, "stacks": {stack: Stack}}."""
    cdk_importable()
    from opsrunbook_cdk.synth import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(str(outdir))
    assembly = app.synth()
    stacks = {child.node.id: child for child in app.node.children if hasattr(child, "template_options")}
    return {
        "outdir": outdir,
        "templates": {s.stack_name: s.template for s in assembly.stacks},
        "stacks": stacks,
    }


@pytest.fixture(scope="session")
def templates(synthesized: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(synthesized["templates"])


def assertions(synthesized: dict[str, Any], stack: str) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(synthesized["templates"][stack])
