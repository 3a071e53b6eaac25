"""OpsRunbook's HTTP API (FastAPI): validates, stores and reads; Dagster sensors do the work."""
