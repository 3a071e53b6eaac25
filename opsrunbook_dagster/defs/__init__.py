"""Dagster adapters: assets, checks, sensors and resources over the pure pipeline code."""
