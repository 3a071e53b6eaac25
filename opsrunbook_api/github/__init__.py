"""GitHub webhook handling that needs no web framework: signatures and normalization (no FastAPI)."""
