"""``opsrunbook eval [DIR|FILE…] [--json]``: score scenarios (bundled ones by default)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from opsrunbook_dagster.cli.errors import bad_input_exits_2
from opsrunbook_dagster.cli.progress_bar import ProgressDisplay, wanted
from opsrunbook_dagster.cli.stack import REPO_ROOT
from opsrunbook_dagster.evaluation.runner import evaluate, scenario_refs
from opsrunbook_dagster.resolution.repo_map import copy_repo_map
from opsrunbook_dagster.settings import OpsRunbookSettings

DEFAULT_REPO_MAP = REPO_ROOT / "infra" / "repo-map.yaml"


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


@bad_input_exits_2
def cmd_eval(args: argparse.Namespace) -> int:
    configured = args.repo_map or OpsRunbookSettings().repo_map
    if not configured and DEFAULT_REPO_MAP.exists():
        configured = str(DEFAULT_REPO_MAP)
    repo_map = copy_repo_map(configured)
    refs = scenario_refs(args.paths)
    scores = []
    with ProgressDisplay(wanted(args.json), "eval", total=len(refs)) as shown:
        for ref in refs:
            shown.advance(0, note=Path(ref).stem)
            scores.append(evaluate(ref, check_determinism=not args.no_determinism, repo_map=repo_map)[0])
            shown.advance(1, note=Path(ref).stem)
    with_cause = [s for s in scores if s.expected_kind != "none"]
    controls = [s for s in scores if s.expected_kind == "none"]
    owners = [s for s in scores if s.owner_repo_hit is not None]
    totals = {
        "scenarios": len(scores),
        "passed": sum(s.passed for s in scores),
        "top1": f"{sum(s.top1 for s in with_cause)}/{len(with_cause)}",
        "top3": f"{sum(s.top3 for s in with_cause)}/{len(with_cause)}",
        "controls_quiet": f"{sum(s.top1 for s in controls)}/{len(controls)}",
        "must_not_flag_violations": sum(len(s.must_not_flag_violations) for s in scores),
        "grounding_violations": sum(len(s.grounding_violations) for s in scores),
        "owner_repo_hits": f"{sum(bool(s.owner_repo_hit) for s in owners)}/{len(owners)}",
        "deterministic": f"{sum(bool(s.deterministic) for s in scores)}/{len(scores)}",
    }
    if args.json:
        print(json.dumps({"scores": [s.as_dict() for s in scores], "totals": totals}, indent=2))
    else:
        width = max(len(s.scenario) for s in scores)
        print(f"{'scenario':<{width}}  {'expected':<16} top1 top3 no-flag owner grounded same  first finding")
        for s in scores:
            print(
                f"{s.scenario:<{width}}  {s.expected_kind:<16} {_mark(s.top1):<4} {_mark(s.top3):<4} "
                f"{_mark(not s.must_not_flag_violations):<7} {_mark(s.owner_repo_hit):<5} "
                f"{_mark(not s.grounding_violations):<8} {_mark(s.deterministic):<4}  {s.first_finding[:70]}"
            )
        print("totals: " + ", ".join(f"{k}={v}" for k, v in totals.items()))
    return 0 if totals["passed"] == len(scores) else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "eval", help="score scenarios (bundled by default) against their expected answers"
    )
    parser.add_argument("paths", nargs="*", help="scenario files or directories")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-determinism",
        action="store_true",
        help="skip the determinism check (each scenario run again over the same world and a re-seeded one)",
    )
    parser.add_argument(
        "--repo-map",
        default=None,
        help="repository mapping rules for suspected owners (default: $OPSRUNBOOK_REPO_MAP or infra/repo-map.yaml)",
    )
    parser.set_defaults(func=cmd_eval)
