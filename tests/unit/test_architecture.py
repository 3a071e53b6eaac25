"""Pure domain code must not depend on Dagster or FastAPI; nothing does work at import time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = [
    "contracts",
    "opsrunbook_dagster/sandbox",
    "opsrunbook_dagster/aws",
    "opsrunbook_dagster/planning",
    "opsrunbook_dagster/clients",
    "opsrunbook_dagster/actions",
    "opsrunbook_dagster/resolution",
    "opsrunbook_dagster/fakes",
    "opsrunbook_dagster/collectors",
    "opsrunbook_dagster/analysis",
    "opsrunbook_dagster/stores",
    "opsrunbook_dagster/pipeline",
    "opsrunbook_dagster/evaluation",
    "opsrunbook_dagster/charts",
]
ADAPTER_ONLY = ("dagster", "dagster_aws", "fastapi", "starlette")
MAX_MODULE_LINES = 300


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_pure_packages_do_not_import_adapters() -> None:
    offenders = []
    for package in PURE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            bad = _imports(path) & set(ADAPTER_ONLY)
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_modules_stay_small() -> None:
    big = []
    for package in ("contracts", "opsrunbook_dagster", "opsrunbook_api"):
        for path in (ROOT / package).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                big.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert big == []
