"""Cross-cutting pieces of the API: settings, secrets, errors and ASGI middleware."""
