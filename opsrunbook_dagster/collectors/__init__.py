"""Evidence collectors: pure code over injected boto3 clients (no Dagster, no FastAPI)."""
