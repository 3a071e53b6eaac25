"""The incident pipeline as plain functions (the Dagster assets and the CLI are thin callers)."""
