"""The code location loads, and its public names stay put: asset keys, checks, jobs and sensors are
what deployed state (run history, partitions, sensor cursors) and the UI are keyed on, so moving a
module must not rename one."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg

from opsrunbook_dagster import definitions
from opsrunbook_dagster.definitions import defs

ROOT = Path(__file__).resolve().parents[3]
ASSETS = {
    # asset: (group, partitions, upstream assets)
    "evidence_logs": ("incident", "incident_runs", set()),
    "evidence_metrics": ("incident", "incident_runs", set()),
    "evidence_stepfn": ("incident", "incident_runs", set()),
    "evidence_snapshot": (
        "incident",
        "incident_runs",
        {"evidence_logs", "evidence_metrics", "evidence_stepfn"},
    ),
    "incident_packet": ("incident", "incident_runs", {"evidence_snapshot"}),
    "action_plan": ("incident", "incident_runs", {"incident_packet"}),
    "action_results": ("incident", "incident_runs", {"action_plan"}),
    "pr_review_event": ("pr_review", "pr_reviews", set()),
    "pr_fix_plan": ("pr_review", "pr_reviews", {"pr_review_event"}),
}
CHECKS = {
    ("action_plan", "plan_deterministic"),
    ("evidence_logs", "evidence_within_budget"),
    ("evidence_metrics", "evidence_within_budget"),
    ("evidence_stepfn", "evidence_within_budget"),
    ("evidence_snapshot", "snapshot_hashes_match"),
    ("incident_packet", "packet_grounded"),
}
SENSORS = {
    "incident_request_sensor",
    "incident_run_status_sensor",
    "replay_request_sensor",
    "pr_review_sensor",
}


def test_the_code_location_module_holds_one_definitions_object() -> None:
    """Dagster's loader (``module_name: opsrunbook_dagster.definitions``) refuses a module with more
    than one ``Definitions`` at module scope: the daemon then loads nothing and never ticks."""
    found = [name for name, value in vars(definitions).items() if isinstance(value, dg.Definitions)]
    assert found == ["defs"]


def test_every_asset_keeps_its_key_group_partitions_and_upstream() -> None:
    graph = defs.get_repository_def().asset_graph
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        partitions = node.partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)
        found[key.to_user_string()] = (
            node.group_name,
            partitions.name,
            {p.to_user_string() for p in node.parent_keys},
        )
    assert found == ASSETS


def test_every_check_job_sensor_and_resource_keeps_its_name() -> None:
    repository = defs.get_repository_def()
    checks = {(k.asset_key.to_user_string(), k.name) for k in repository.asset_graph.asset_check_keys}
    assert checks == CHECKS
    assert {j.name for j in repository.get_all_jobs()} - {"__ASSET_JOB"} == {"incident_job", "pr_review_job"}
    assert {s.name for s in repository.sensor_defs} == SENSORS
    assert all(s.default_status is dg.DefaultSensorStatus.RUNNING for s in repository.sensor_defs)
    assert set(repository.get_top_level_resources()) == {"aws", "actions"}


def test_dagster_adapters_use_public_dagster_apis_only() -> None:
    private = []
    for path in sorted((ROOT / "opsrunbook_dagster/defs").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            private += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("dagster._")]
    assert private == []
