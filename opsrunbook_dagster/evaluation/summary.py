"""Totals of an evaluation: the main set and the blind set are reported separately."""

from __future__ import annotations

from opsrunbook_dagster.evaluation.scoring import Score


def totals(scores: list[Score]) -> dict[str, object]:
    """Counts over ``scores``: top-1/top-3 over scenarios with a cause, quiet controls, violations."""
    with_cause = [s for s in scores if s.expected_kind != "none"]
    controls = [s for s in scores if s.expected_kind == "none"]
    owners = [s for s in scores if s.owner_repo_hit is not None]
    return {
        "scenarios": len(scores),
        "passed": sum(s.passed for s in scores),
        "top1": f"{sum(s.top1 for s in with_cause)}/{len(with_cause)}",
        "top3": f"{sum(s.top3 for s in with_cause)}/{len(with_cause)}",
        "controls_quiet": f"{sum(s.top1 for s in controls)}/{len(controls)}",
        "must_not_flag_violations": sum(len(s.must_not_flag_violations) for s in scores),
        "grounding_violations": sum(len(s.grounding_violations) for s in scores),
        "owner_repo_hits": f"{sum(bool(s.owner_repo_hit) for s in owners)}/{len(owners)}",
        "deterministic": f"{sum(bool(s.deterministic) for s in scores)}/{len(scores)}",
        "known_misses": sum(bool(s.known_miss) and not s.passed for s in scores),
    }


def report(scores: list[Score]) -> dict[str, object]:
    """``totals`` for the main set (the scenarios not marked blind), ``blind_totals`` for the blind
    set, and ``ok``: every scenario passed or is a recorded known miss."""
    main = [s for s in scores if not s.blind]
    blind = [s for s in scores if s.blind]
    return {
        "scores": [s.as_dict() for s in scores],
        "totals": totals(main),
        "blind_totals": totals(blind),
        "ok": all(s.passed or s.known_miss for s in scores),
    }
