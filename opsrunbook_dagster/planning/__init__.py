"""Decides, deterministically: from a packet to an action plan. Rendering what the actions send and
carrying the plan out live in ``opsrunbook_dagster.actions``; a PR review's fix plan in
``opsrunbook_dagster.pr_review``."""
