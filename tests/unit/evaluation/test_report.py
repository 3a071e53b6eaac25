"""`opsrunbook eval` reports the blind set apart from the main set (text and JSON), and tolerates
only recorded known misses in its exit status."""

from __future__ import annotations

import json

from opsrunbook_dagster.cli.eval_cmd import table
from opsrunbook_dagster.evaluation.known_misses import known_misses
from opsrunbook_dagster.evaluation.scoring import Score
from opsrunbook_dagster.evaluation.summary import report
from opsrunbook_dagster.sandbox.scenario import blind_names, bundled_names


def _score(name: str, kind: str, top1: bool, top3: bool, blind: bool, miss: str | None = None) -> Score:
    return Score(name, kind, top1, top3, deterministic=True, blind=blind, known_miss=miss)


SCORES = [
    _score("main-hit", "throttling", True, True, False),
    _score("main-control", "none", True, True, False),
    _score("blind-hit", "throttling", True, True, True),
    _score("blind-second", "dependency_failure", False, True, True),
    _score("blind-miss", "runtime_error", False, False, True),
]


def test_blind_top1_and_top3_are_counted_apart_from_the_main_set() -> None:
    result = report(SCORES)
    assert result["totals"]["top1"] == "1/1" and result["totals"]["scenarios"] == 2  # type: ignore[index]
    blind = result["blind_totals"]
    assert (blind["scenarios"], blind["top1"], blind["top3"], blind["passed"]) == (3, "1/3", "2/3", 1)  # type: ignore[index]
    assert result["ok"] is False  # two blind misses, neither recorded
    json.dumps(result)  # what --json prints


def test_text_report_marks_the_set_and_prints_both_totals() -> None:
    text = table(SCORES, report(SCORES))
    lines = text.splitlines()
    assert any(line.startswith("blind-miss") and " blind " in line for line in lines)
    assert any(line.startswith("main-hit") and " main " in line for line in lines)
    assert "totals: scenarios=2, passed=2, top1=1/1, top3=1/1" in text
    assert "blind totals: scenarios=3, passed=1, top1=1/3, top3=2/3" in text


def test_only_recorded_known_misses_are_tolerated() -> None:
    recorded = [
        s if s.passed else _score(s.scenario, s.expected_kind, s.top1, s.top3, True, "why") for s in SCORES
    ]
    result = report(recorded)
    assert result["ok"] is True and result["blind_totals"]["known_misses"] == 2  # type: ignore[index]
    assert "known miss: why" in table(recorded, result)


def test_known_misses_name_bundled_scenarios_with_a_reason() -> None:
    names = set(bundled_names()) | set(blind_names())
    for name, reason in known_misses().items():
        assert name in names, f"known miss {name!r} is not a bundled scenario"
        assert len(reason) > 20, f"{name}: give the reason it is missed"
