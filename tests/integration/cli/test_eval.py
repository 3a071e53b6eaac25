"""`opsrunbook eval` on two bundled scenarios, end to end.

The command runs in its own process, as a user runs it: moto keeps its state per process, so
data seeded by other tests of this session (sandbox/test_sandbox.py seeds every bundled scenario, minutes
earlier) would otherwise leak into the scenarios being scored.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_eval_scores_a_cause_and_a_control() -> None:
    proc = _eval("--json", *_bundled("lambda-timeout", "healthy-control"))
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    by_name = {s["scenario"]: s for s in report["scores"]}
    assert by_name["lambda-timeout"]["top1"] and by_name["lambda-timeout"]["grounding_violations"] == []
    assert by_name["healthy-control"]["passed"]
    assert report["totals"]["must_not_flag_violations"] == 0
    # each ran again over the same world and once more in a re-seeded sandbox: byte-identical
    assert by_name["lambda-timeout"]["deterministic"] is True
    assert report["totals"]["deterministic"] == "2/2"


def test_eval_reports_the_blind_set_separately() -> None:
    from opsrunbook_dagster.sandbox.scenario import blind_names

    blind = blind_names()[0]
    report = json.loads(_eval("--json", "--no-determinism", *_bundled("healthy-control", blind)).stdout)
    assert {s["scenario"]: s["blind"] for s in report["scores"]} == {"healthy-control": False, blind: True}
    assert report["totals"]["scenarios"] == 1 and report["blind_totals"]["scenarios"] == 1
    assert report["blind_totals"]["top1"] in ("0/1", "1/1", "0/0")


def _eval(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "opsrunbook_dagster.cli.main", "eval", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def _bundled(*names: str) -> list[str]:
    from opsrunbook_dagster.sandbox.scenario import resolve_path

    return [str(resolve_path(n)) for n in names]
