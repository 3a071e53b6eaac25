"""`opsrunbook eval` on two bundled scenarios, end to end."""

from __future__ import annotations

import json

import pytest

from opsrunbook_dagster.cli.main import main

pytestmark = pytest.mark.integration


def test_eval_scores_a_cause_and_a_control(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "--json", *_bundled("lambda-timeout", "healthy-control")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    by_name = {s["scenario"]: s for s in report["scores"]}
    assert by_name["lambda-timeout"]["top1"] and by_name["lambda-timeout"]["grounding_violations"] == []
    assert by_name["healthy-control"]["passed"]
    assert report["totals"]["must_not_flag_violations"] == 0


def _bundled(*names: str) -> list[str]:
    from opsrunbook_dagster.sandbox.scenario import resolve_path

    return [str(resolve_path(n)) for n in names]
