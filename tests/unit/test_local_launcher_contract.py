"""The local run launcher is the project's only user of private Dagster APIs; it stays optional and local.

``opsrunbook_dagster/run_launcher.py`` and ``run_worker.py`` fork run workers from a preloaded
forkserver (docs/architecture.md says why and what it buys). They use ~15 private Dagster symbols, so
a Dagster upgrade may break them silently. These tests fail loudly instead: on a Dagster version the
launcher was not verified against, on any private symbol that moved, and on a changed signature of the
calls it makes. On such a failure either re-verify the launcher (tests/integration/test_run_launcher.py,
``python -m benchmarks.run_cost``) and add the version to ``VERIFIED_DAGSTER_VERSIONS``, or switch
infra/dagster.yaml to Dagster's DefaultRunLauncher (everything else works without this launcher).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER_FILES = (
    "opsrunbook_dagster/run_launcher.py",
    "opsrunbook_dagster/run_worker.py",
    "opsrunbook_dagster/forkserver_instance.py",  # the launcher's own preload target
)
LAUNCHER_MODULES = (
    "opsrunbook_dagster.run_launcher",
    "opsrunbook_dagster.run_worker",
    "opsrunbook_dagster.forkserver_instance",
)
#: parameters of the private calls the launcher makes, as verified
SIGNATURES = {
    ("dagster._grpc.impl", "core_execute_run"): ["recon_job", "dagster_run", "instance", "inject_env_vars"],
    ("dagster._utils.hosted_user_process", "recon_job_from_origin"): ["origin"],
    ("dagster._core.launcher", "CheckRunHealthResult"): ["status", "msg", "transient", "run_worker_id"],
}


def _private_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from dagster._x import name`` in ``path`` (function bodies included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dagster"):
            if node.module.startswith("dagster._"):
                found += [(node.module, alias.name) for alias in node.names]
            elif node.module == "dagster":
                found += [
                    (f"dagster.{a.name}", "")
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return found


def test_dagster_version_is_one_the_launcher_was_verified_against() -> None:
    from opsrunbook_dagster.run_launcher import VERIFIED_DAGSTER_VERSIONS

    assert dg.__version__ in VERIFIED_DAGSTER_VERSIONS, (
        f"Dagster {dg.__version__}: ForkserverRunLauncher was verified on {VERIFIED_DAGSTER_VERSIONS} only "
        "(it uses private APIs). Re-verify it (test_run_launcher.py, benchmarks.run_cost) and add the "
        "version, or use DefaultRunLauncher in infra/dagster.yaml."
    )


def test_every_private_symbol_the_launcher_uses_still_exists() -> None:
    missing = []
    used = [imp for f in LAUNCHER_FILES for imp in _private_imports(ROOT / f)]
    assert len(used) >= 10  # the parse found them (a refactor that hides them would make this vacuous)
    for module, name in used:
        try:
            imported = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{module}: {exc}")
            continue
        if name and not hasattr(imported, name):
            missing.append(f"{module}.{name}")
    assert missing == []


def test_preloaded_dagster_modules_exist() -> None:
    from opsrunbook_dagster.run_launcher import BASE_PRELOAD

    for module in BASE_PRELOAD:
        importlib.import_module(module)


def test_private_calls_keep_their_signatures() -> None:
    changed = {}
    for (module, name), expected in SIGNATURES.items():
        params = list(inspect.signature(getattr(importlib.import_module(module), name)).parameters)
        if params[: len(expected)] != expected:
            changed[f"{module}.{name}"] = params
    assert changed == {}


def test_launcher_contract_types_are_as_used() -> None:
    from dagster._core.launcher import RunLauncher, WorkerStatus

    assert {s.name for s in WorkerStatus} >= {"RUNNING", "FAILED", "UNKNOWN"}
    assert RunLauncher.__abstractmethods__ == frozenset({"launch_run", "terminate"})


def test_only_the_launcher_uses_private_dagster_apis_and_nothing_imports_it() -> None:
    """The launcher is an optional local piece: selected by infra/dagster.yaml alone."""
    offenders = []
    for package in ("contracts", "opsrunbook_dagster", "opsrunbook_api", "benchmarks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel in LAUNCHER_FILES:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                bad = [n for n in names if n.startswith("dagster._") or n.startswith(LAUNCHER_MODULES)]
                offenders += [f"{rel}: {n}" for n in bad]
    assert offenders == []


def test_only_the_local_instance_config_selects_it() -> None:
    configs = {
        p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "infra").glob("dagster.yaml*")
    }
    using = sorted(name for name, c in configs.items() if c["run_launcher"]["module"] in LAUNCHER_MODULES)
    assert using == ["dagster.yaml"]
