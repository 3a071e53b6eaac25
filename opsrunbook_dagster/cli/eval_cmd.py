"""``opsrunbook eval [DIR|FILE…] [--set all|main|blind] [--json]``: score scenarios (both bundled
sets by default). The blind set is reported separately (``blind_totals``); the exit status is 0
when every scenario passed or is a recorded known miss (``evaluation/known_misses.yaml``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from opsrunbook_dagster.cli.errors import bad_input_exits_2
from opsrunbook_dagster.cli.progress_bar import ProgressDisplay, wanted
from opsrunbook_dagster.cli.stack import REPO_ROOT
from opsrunbook_dagster.evaluation.runner import evaluate, scenario_refs
from opsrunbook_dagster.evaluation.scoring import Score
from opsrunbook_dagster.evaluation.summary import report
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
    refs = scenario_refs(args.paths, args.set)
    scores = []
    with ProgressDisplay(wanted(args.json), "eval", total=len(refs)) as shown:
        for ref in refs:
            shown.advance(0, note=Path(ref).stem)
            scores.append(evaluate(ref, check_determinism=not args.no_determinism, repo_map=repo_map)[0])
            shown.advance(1, note=Path(ref).stem)
    result = report(scores)
    print(json.dumps(result, indent=2) if args.json else table(scores, result))
    return 0 if result["ok"] else 1


def table(scores: list[Score], result: dict[str, object]) -> str:
    """One line per scenario (its set, marks, first finding), then the totals of each set."""
    width = max(len(s.scenario) for s in scores)
    lines = [
        f"{'scenario':<{width}}  set   {'expected':<16} top1 top3 no-flag owner grounded same  first finding"
    ]
    for s in scores:
        lines.append(
            f"{s.scenario:<{width}}  {'blind' if s.blind else 'main':<5} {s.expected_kind:<16} "
            f"{_mark(s.top1):<4} {_mark(s.top3):<4} {_mark(not s.must_not_flag_violations):<7} "
            f"{_mark(s.owner_repo_hit):<5} {_mark(not s.grounding_violations):<8} {_mark(s.deterministic):<4}  "
            f"{s.first_finding[:70]}"
        )
        if s.known_miss and not s.passed:
            lines.append(f"{'':<{width}}  known miss: {s.known_miss}")
    for label, key in (("totals", "totals"), ("blind totals", "blind_totals")):
        counts = result[key]
        assert isinstance(counts, dict)
        if counts["scenarios"]:
            lines.append(f"{label}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "eval", help="score scenarios (bundled by default) against their expected answers"
    )
    parser.add_argument("paths", nargs="*", help="scenario files or directories")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--set",
        choices=("all", "main", "blind"),
        default="all",
        help="without paths: the main bundled set, the blind set, or both (default; reported separately)",
    )
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
