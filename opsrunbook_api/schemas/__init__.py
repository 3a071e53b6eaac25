"""Response (and small request) models of the HTTP API. Pydantic only: no FastAPI imports."""
