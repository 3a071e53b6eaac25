"""Every benchmark `make bench` runs imports: a renamed helper fails here, not an hour into a bench."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BENCH_MODULES = sorted(set(re.findall(r"-m (benchmarks\.\w+)", (ROOT / "Makefile").read_text())))


def test_make_bench_runs_the_benchmarks_it_should() -> None:
    assert "benchmarks.pipeline_bench" in BENCH_MODULES and "benchmarks.api_bench" in BENCH_MODULES


@pytest.mark.parametrize("module", BENCH_MODULES)
def test_each_benchmark_module_imports(module: str) -> None:
    assert callable(importlib.import_module(module).main)
