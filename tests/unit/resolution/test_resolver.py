"""Repository resolution: mapping rules, name heuristics, stack frames, the gate — and trace
verification against the GitHub fake over real HTTP."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.actions import ActionFlags, ActionStatus
from contracts.base import TimeWindow
from contracts.canonical import canonical_json
from contracts.packet import Finding
from contracts.snapshot import EvidenceSnapshotV1, RepoMapCopy
from opsrunbook_dagster.actions.github_action import GitHubPullRequestAction
from opsrunbook_dagster.actions.model import ActionContext
from opsrunbook_dagster.analysis.narrative import suspected_owners
from opsrunbook_dagster.clients.github import GitHubClient
from opsrunbook_dagster.clients.github_app import AppAuth, GitHubAppConfig
from opsrunbook_dagster.clients.secrets import Secret
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.pipeline.snapshot import manifest
from opsrunbook_dagster.planning.planner import build_plan
from opsrunbook_dagster.resolution.frames import extract_frames, normalise
from opsrunbook_dagster.resolution.gate import static_gate
from opsrunbook_dagster.resolution.owners import resolve_owners
from opsrunbook_dagster.resolution.repo_map import RepoMapError, copy_repo_map, parse_repo_map
from tests import factories
from tests.actions_support import FAST, owners, packet

ROOT = Path(__file__).resolve().parents[3]
MAP = """
version: 1
default_org: acme
repos: [acme/refunds-service, acme/unrelated]
rules:
  - repo: acme/payments
    team: payments
    match: {service: payment-*}
  - repo: acme/fulfilment
    match: {state_machine: "*fulfil*"}
  - repo: acme/functions
    match: {function: [image-resizer, thumbs-*], log_group: /aws/lambda/legacy-*}
"""


def _finding(resource: str) -> Finding:
    return Finding.model_validate(factories.finding(resource=resource))


def test_stack_frames_of_three_runtimes_normalised_and_filtered() -> None:
    lines = [
        'Traceback:\n  File "/var/task/app/handlers/refund.py", line 42, in handle\n'
        '  File "/var/lang/lib/python3.12/site-packages/boto3/x.py", line 1, in y\n'
        '  File "/opt/python/shared/util.py", line 7, in z',
        "Error: boom\n    at handler (/var/task/src/index.js:10:5)\n    at Runtime.h (file:///var/runtime/index.mjs:1:1)"
        "\n    at node:internal/process:95:5\n    at /var/task/node_modules/x/y.js:1:1",
        "java.lang.IllegalStateException\n\tat com.acme.orders.OrderService.create(OrderService.java:88)"
        "\n\tat com.acme.Foo(Foo.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:833)",
    ]
    frames = extract_frames(lines, limit=10)
    assert [(f.language, f.path) for f in frames] == [
        ("python", "app/handlers/refund.py"),
        ("python", "shared/util.py"),
        ("node", "src/index.js"),
        ("java", "com/acme/orders/OrderService.java"),
        ("java", "com/acme/Foo.java"),
    ]
    assert frames[3].candidate_paths()[0] == "src/main/java/com/acme/orders/OrderService.java"
    assert normalise("/var/runtime/bootstrap.py") is None and normalise("/var/task/../etc/passwd") is None


def test_mapping_rules_heuristics_and_determinism() -> None:
    repo_map = parse_repo_map(MAP, "repo-map.yaml")
    found = resolve_owners("payment-gateway", [_finding("/aws/lambda/payment-gateway")], repo_map)
    assert (
        found
        and found[0].repo == "acme/payments"
        and found[0].confidence == 0.95
        and found[0].method == "mapping"
    )
    assert "service 'payment-gateway' matches 'payment-*'" in found[0].reasons
    assert repo_map.sha256[:12] in found[0].reasons[0]
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:order-fulfilment"
    assert resolve_owners("orders", [_finding(machine)], repo_map)[0].repo == "acme/fulfilment"  # type: ignore[index]
    assert resolve_owners("x", [_finding("/aws/lambda/legacy-jobs")], repo_map)[0].repo == "acme/functions"  # type: ignore[index]
    heuristic = resolve_owners("refunds-api", [_finding("/aws/lambda/refunds-api")], repo_map)
    assert heuristic and [(o.repo, o.confidence) for o in heuristic] == [
        ("acme/refunds-service", 0.5),
        ("acme/refunds-api", 0.5),
    ]
    assert resolve_owners("x", [], repo_map) == resolve_owners("x", [], repo_map)


def test_invalid_maps_are_reported() -> None:
    with pytest.raises(RepoMapError, match="owner/name"):
        parse_repo_map("rules: [{repo: nope, match: {service: x}}]")
    with pytest.raises(RepoMapError, match="unknown"):
        parse_repo_map("rules: [{repo: a/b, match: {colour: x}}]")


def test_suspected_owners_use_the_map_copy_they_are_given(tmp_path: Path) -> None:
    findings = [_finding("/aws/lambda/payment-gateway")]
    default = suspected_owners("payment-gateway", findings)
    assert [(o.repo, o.team) for o in default] == [(None, "payment-gateway")]
    assert copy_repo_map(None) is None and copy_repo_map("  ") is None
    copy = copy_repo_map(str(ROOT / "infra" / "repo-map.yaml"))
    mapped = suspected_owners("payment-gateway", findings, copy)
    assert mapped[0].repo == "acme/payment-gateway" and mapped[0].confidence == 0.95
    assert mapped[-1] == default[0] and suspected_owners("payment-gateway", findings, copy) == mapped
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [{repo: x}]", encoding="utf-8")
    degraded = suspected_owners("payment-gateway", findings, copy_repo_map(str(broken)))
    assert len(degraded) == 1 and "repository map unusable" in degraded[0].reasons[-1]
    missing = copy_repo_map(str(tmp_path / "absent.yaml"))
    assert missing is not None and missing.text is None and "cannot read" in (missing.error or "")
    unread = suspected_owners("payment-gateway", findings, missing)
    assert "cannot read" in unread[0].reasons[-1]


def test_a_replay_resolves_owners_with_the_map_stored_in_the_snapshot(tmp_path: Path) -> None:
    """The copy is taken when the snapshot is built; changing the file afterwards changes nothing."""
    path = tmp_path / "map.yaml"
    path.write_text((ROOT / "infra" / "repo-map.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    copy = copy_repo_map(str(path))
    assert copy is not None and copy.text == path.read_text(encoding="utf-8")  # verbatim, not stripped
    assert copy.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    stored = EvidenceSnapshotV1.model_validate_json(canonical_json(_snapshot(copy)))
    path.write_text("rules: []\n", encoding="utf-8")
    findings = [_finding("/aws/lambda/payment-gateway")]
    replayed = suspected_owners("payment-gateway", findings, stored.repo_map)
    assert (
        replayed[0].repo == "acme/payment-gateway"
        and copy.sha256
        and copy.sha256[:12] in replayed[0].reasons[0]
    )
    assert "repo_map" not in json.loads(canonical_json(_snapshot(None)))  # no map: bytes as before


def _snapshot(copy: RepoMapCopy | None) -> EvidenceSnapshotV1:
    window = TimeWindow(start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 1, 1, tzinfo=UTC))
    return manifest("inc-1", "r0123456789ab", "payment-gateway", "prod", window, [], [], copy)


def test_static_gate() -> None:
    assert static_gate(packet("inc-g1"), 0.7)[0] is None
    low = packet("inc-g2", suspected_owners=owners(("acme/x", 0.5, "heuristic")))
    chosen, why = static_gate(low, 0.7)
    assert chosen is None and "below 0.7 (best acme/x at 0.5 (heuristic))" in why
    high = packet(
        "inc-g3", suspected_owners=owners(("acme/x", 0.5, "heuristic"), ("acme/y", 0.95, "mapping"))
    )
    assert static_gate(high, 0.7)[0].repo == "acme/y"  # type: ignore[union-attr]


def test_trace_verification_against_the_github_fake(github_fake: FakeServer) -> None:
    app: GitHubFake = github_fake.app  # type: ignore[assignment]
    app.add_repo("acme/a", {"README.md": "x"})
    app.add_repo("acme/b", {"src/main/java/com/acme/orders/OrderService.java": "class OrderService {}"})
    auth = AppAuth(GitHubAppConfig(app.app_id, Secret(app.private_key_b64), github_fake.url), FAST)
    action = GitHubPullRequestAction(GitHubClient(auth, FAST))
    pkt = packet(
        "inc-trace", suspected_owners=owners(("acme/a", 0.5, "heuristic"), ("acme/b", 0.5, "heuristic"))
    )
    plan = build_plan(pkt, ActionFlags(dry_run=False, github_pr_enabled=True))
    java = "java.lang.IllegalStateException\n\tat com.acme.orders.OrderService.create(OrderService.java:88)"
    ctx = ActionContext(pkt, plan, plan.actions[2], evidence_lines=lambda: [java])
    chosen, why = action.resolve(ctx)
    assert chosen and chosen.repo == "acme/b" and chosen.confidence == 0.85 and chosen.method == "trace"
    assert "src/main/java/com/acme/orders/OrderService.java in acme/b" in why
    strict = build_plan(pkt, ActionFlags(dry_run=False, github_pr_enabled=True, pr_confidence_threshold=0.9))
    outcome = action.run(ActionContext(pkt, strict, strict.actions[2], evidence_lines=lambda: [java]))
    assert (
        outcome.status == ActionStatus.skipped
        and "acme/b at 0.85 (trace) is still below 0.9" in outcome.reason
    )
    assert app.violations == [] and all(r.method == "GET" for r in app.requests_for(path="/repos/"))
