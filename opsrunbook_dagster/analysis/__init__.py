"""Deterministic incident analysis: evidence objects in, grounded findings out. No LLM."""

ANALYZER_VERSION = "1.7.1"
