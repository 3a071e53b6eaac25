"""Automation flags (environment-driven, read when a run starts, never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from contracts.actions import ActionFlags

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def flags_from_env(environ: Mapping[str, str] | None = None) -> ActionFlags:
    env = os.environ if environ is None else environ
    threshold = float(env.get("PR_CONFIDENCE_THRESHOLD", "0.7") or 0.7)
    return ActionFlags(
        automation_enabled=_flag(env, "AUTOMATION_ENABLED", True),
        dry_run=_flag(env, "ACTIONS_DRY_RUN", True),
        github_pr_enabled=_flag(env, "ENABLE_GITHUB_PR_ACTION", False),
        pr_confidence_threshold=threshold,
    )
