"""Redaction on real logs: false-positive share and speed (benchmarks/results/redaction.json).

Every raw line of the Loghub-2k systems (``$OPSRUNBOOK_BENCH_DATA``, default ``../shared/bench-data``)
goes through ``redact_text``. Loghub contains no credentials, so every changed line is a false
positive (the changed lines are listed by rule with examples to judge). Throughput is lines/s of
the whole rule table over all lines, best of 3.

    python -m benchmarks.redaction_bench [--baseline path/to/old_redaction.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.loghub_ga import REPO, data_dir
from opsrunbook_dagster.collectors.redaction import redact_text

Redactor = Callable[[str, Counter[str]], str]


def lines() -> dict[str, list[str]]:
    root = data_dir() / "loghub-2k"
    out = {}
    for system in sorted(p.name for p in root.iterdir() if (p / f"{p.name}_2k.log").exists()):
        text = (root / system / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace")
        out[system] = text.splitlines()
    return out


def measure(redact: Redactor, corpus: dict[str, list[str]]) -> dict[str, object]:
    changed: dict[str, int] = {}
    by_rule: Counter[str] = Counter()
    examples: list[str] = []
    total = 0
    for system, rows in corpus.items():
        n = 0
        for line in rows:
            hits: Counter[str] = Counter()
            if redact(line, hits) != line:
                n += 1
                by_rule.update(hits)
                if len(examples) < 15:
                    examples.append(f"{system}: {line[:160]}")
        changed[system] = n
        total += len(rows)
    flat = [line for rows in corpus.values() for line in rows]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for line in flat:
            redact(line, Counter())
        best = min(best, time.perf_counter() - start)
    return {
        "lines": total,
        "lines_changed": sum(changed.values()),
        "false_positive_share": round(sum(changed.values()) / total, 5),
        "changed_by_system": changed,
        "hits_by_rule": dict(sorted(by_rule.items())),
        "examples": examples,
        "lines_per_second": round(len(flat) / best),
    }


def load_baseline(path: Path) -> Redactor:
    spec = importlib.util.spec_from_file_location("baseline_redaction", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.redact_text  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="an older redaction.py to measure alongside")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "redaction.json")
    args = parser.parse_args()
    corpus = lines()
    result: dict[str, object] = {"current": measure(redact_text, corpus)}
    if args.baseline:
        result["baseline"] = measure(load_baseline(args.baseline), corpus)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {k: {m: v[m] for m in ("false_positive_share", "lines_per_second")} for k, v in result.items()}
        )
    )  # type: ignore[index]


if __name__ == "__main__":
    main()
