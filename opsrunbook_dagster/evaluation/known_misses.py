"""Scenarios the analyzer is known to get wrong, each with the reason (``known_misses.yaml``).

A blind scenario is never edited to match what the analyzer produces (docs/scenarios.md): a miss
is either fixed in the analyzer, generally, or recorded here with why it is missed. ``opsrunbook
eval`` still scores it and shows the reason; only its exit status tolerates it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

_FILE = "known_misses.yaml"


@cache
def known_misses() -> dict[str, str]:
    """Scenario name -> the reason it is missed."""
    text = resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8")
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise ValueError(f"{_FILE}: expected a mapping of scenario name to reason")
    return {name: " ".join(reason.split()) for name, reason in raw.items()}
