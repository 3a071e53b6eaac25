"""Scoring the analyzer against scenarios' expected answers (see docs/scenarios.md)."""
