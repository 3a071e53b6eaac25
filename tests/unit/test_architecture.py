"""Pure domain code must not depend on Dagster or FastAPI; no import cycles; modules stay small."""

from __future__ import annotations

import ast
import re
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
    "opsrunbook_dagster/replay",
    "opsrunbook_dagster/pr_review",
]
#: the subpackages of opsrunbook_dagster that adapt the domain to Dagster or to a terminal
ADAPTER_PACKAGES = {"opsrunbook_dagster/defs", "opsrunbook_dagster/cli"}
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


def test_every_domain_package_is_checked() -> None:
    """A new feature folder (``opsrunbook_dagster/<feature>/``) is pure unless declared an adapter."""
    packages = {
        path.parent.relative_to(ROOT).as_posix()
        for path in (ROOT / "opsrunbook_dagster").glob("*/__init__.py")
    }
    assert sorted(packages - ADAPTER_PACKAGES - set(PURE_PACKAGES)) == []


def test_modules_stay_small() -> None:
    big = []
    for package in ("contracts", "opsrunbook_dagster", "opsrunbook_api"):
        for path in (ROOT / package).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                big.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert big == []


PACKAGES = ("contracts", "opsrunbook_dagster", "opsrunbook_api")


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def _import_graph() -> dict[str, set[str]]:
    """Module -> project modules it imports: every import statement in the file, function-level
    and ``TYPE_CHECKING`` ones included (a cycle hidden in a function is still a cycle)."""
    files = _module_files()

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            targets.update(t for t in map(resolve, names) if t and t != module)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each as one closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(_path(graph, set(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _path(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One cycle through the component's smallest node (breadth-first back to it)."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, set()) & component):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    return sorted(component)


def _subpackage(module: str) -> str:
    """opsrunbook_dagster.planning.planner -> opsrunbook_dagster.planning (contracts.x -> contracts)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] != "contracts" else "contracts"


def test_no_import_cycles_between_modules() -> None:
    assert [" -> ".join(cycle) for cycle in _cycles(_import_graph())] == []


def test_no_import_cycles_between_subpackages() -> None:
    """A layer imports the layers below it only: planning decides, actions carry out the plan."""
    graph: dict[str, set[str]] = {}
    for module, targets in _import_graph().items():
        source = _subpackage(module)
        graph.setdefault(source, set()).update(t for t in map(_subpackage, targets) if t != source)
    assert [" -> ".join(cycle) for cycle in _cycles(graph)] == []


#: The modules whose import does work (the local forkserver runs nothing but its preload imports).
FORKSERVER_PRELOAD = "opsrunbook_dagster.aws.forkserver_preload"
FORKSERVER_INSTANCE = "opsrunbook_dagster.forkserver_instance"


def test_the_forkserver_preloads_are_imported_by_the_local_launcher_only() -> None:
    for module in (FORKSERVER_PRELOAD, FORKSERVER_INSTANCE):
        importers = sorted(m for m, targets in _import_graph().items() if module in targets)
        assert importers == [], module
    assert FORKSERVER_PRELOAD in (ROOT / "infra" / "dagster.yaml").read_text(encoding="utf-8")
    launcher = (ROOT / "opsrunbook_dagster" / "run_launcher.py").read_text(encoding="utf-8")
    assert f'"{FORKSERVER_INSTANCE}"' in launcher


#: Where the environment may be read: the edges. Everything below them gets typed values from
#: ``opsrunbook_dagster.settings.OpsRunbookSettings``, built only in ``SETTINGS_EDGES``.
ENVIRONMENT_EDGES = (
    "opsrunbook_dagster/cli/",  # the CLI (and the environment it hands to the processes it starts)
    # sandbox and fake tooling, started by the CLI and the tests, never by a deployment:
    "opsrunbook_dagster/sandbox/server.py",  # points moto's own callbacks at its port (MOTO_PORT)
    "opsrunbook_dagster/sandbox/postgres.py",  # OPSRUNBOOK_TEST_POSTGRES_URL of the test suite
    "opsrunbook_dagster/sandbox/seed_metrics.py",  # where benchmark CSVs are, for scenarios citing them
    "opsrunbook_dagster/fakes/reference.py",  # where the fakes' reference schemas are
    "opsrunbook_dagster/settings.py",  # the settings: the environment as their cache key
    # the local run launcher hands its instance's ref to the forkserver it starts (INSTANCE_REF_ENV):
    "opsrunbook_dagster/run_launcher.py",
    "opsrunbook_dagster/forkserver_instance.py",
)
SETTINGS_EDGES = (
    "opsrunbook_dagster/cli/",
    "opsrunbook_dagster/defs/resources.py",  # Dagster: deployment_settings(), when a run or tick needs them
    "opsrunbook_api/main.py",  # the API app factory
)
SETTINGS_CLASSES = {"OpsRunbookSettings", "Settings"}


def _python_files() -> list[tuple[str, ast.AST]]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            files.append((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))))
    return files


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in {"environ", "environb", "getenv", "getenvb"} for a in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_environment_is_read_at_the_edges_only() -> None:
    offenders = [
        f"{path}:{line}"
        for path, tree in _python_files()
        if not path.startswith(ENVIRONMENT_EDGES)
        for line in _reads_environment(tree)
    ]
    assert offenders == [], "read settings at the edge (opsrunbook_dagster/settings.py) and pass them down"


def test_settings_are_built_at_the_edges_only() -> None:
    offenders = [
        f"{path}:{node.lineno}"
        for path, tree in _python_files()
        if not path.startswith(SETTINGS_EDGES)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SETTINGS_CLASSES
    ]
    assert offenders == []


#: Every DynamoDB key string is built in ``opsrunbook_dagster/stores/table_keys.py``.
TABLE_KEY_MODULE = "opsrunbook_dagster/stores/table_keys.py"
TABLE_KEY_LITERAL = re.compile(
    r"\b(EVENT|RUN|DELIVERY|REPLAY|REPLAYCHECK|INCIDENT|SNAPSHOT|PACKET|ACTIONPLAN|ACTION|ACTIONS"
    r"|CLAIM|NOTIFIED|SIGNED|PAUSE|HEARTBEAT)#"
)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (they may describe the key layout)."""
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for statement in body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    ids.add(id(statement.value))
    return ids


def test_dynamodb_keys_are_built_in_one_module() -> None:
    offenders = []
    for path, tree in _python_files():
        if path == TABLE_KEY_MODULE:
            continue
        docstrings = _docstrings(tree)
        offenders.extend(
            f"{path}:{node.lineno} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and TABLE_KEY_LITERAL.search(node.value)
        )
    assert offenders == [], f"build DynamoDB keys with {TABLE_KEY_MODULE}"
