"""Persistence: S3 objects (canonical JSON + sha256) and DynamoDB rows. No Dagster, no FastAPI."""
