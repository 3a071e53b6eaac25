"""AWS plumbing shared by the sandbox, collectors and stores (no Dagster, no FastAPI)."""
