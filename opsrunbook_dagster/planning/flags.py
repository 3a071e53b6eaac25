"""Automation flags from their settings' text (parsed when a stage asks, never at import time)."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.actions import ActionFlags

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

#: Field of ``settings.OpsRunbookSettings`` -> the variable it reads, for each flag.
FLAG_VARIABLES = {
    "automation_enabled": "AUTOMATION_ENABLED",
    "actions_dry_run": "ACTIONS_DRY_RUN",
    "enable_github_pr_action": "ENABLE_GITHUB_PR_ACTION",
    "pr_confidence_threshold": "PR_CONFIDENCE_THRESHOLD",
}


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


def flags_from_values(values: Mapping[str, str]) -> ActionFlags:
    """``values`` by variable name (absent: the default: enabled, dry run, no PRs, threshold 0.7)."""
    threshold = float(values.get("PR_CONFIDENCE_THRESHOLD", "0.7") or 0.7)
    return ActionFlags(
        automation_enabled=_flag(values, "AUTOMATION_ENABLED", True),
        dry_run=_flag(values, "ACTIONS_DRY_RUN", True),
        github_pr_enabled=_flag(values, "ENABLE_GITHUB_PR_ACTION", False),
        pr_confidence_threshold=threshold,
    )
