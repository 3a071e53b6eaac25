"""Decides, deterministically: from a packet to an action plan (and from a PR review to a fix plan).
Rendering what the actions send and carrying the plan out live in ``opsrunbook_dagster.actions``."""
