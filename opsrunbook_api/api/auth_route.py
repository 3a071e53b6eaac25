"""Routes that authenticate (and rate-limit) before FastAPI reads or validates the body.

FastAPI parses a JSON body before it resolves dependencies, so with the key check only as a
dependency an unauthenticated caller got a 422 describing the body (or a parse error) instead of
a 401. ``AuthFirstRoute`` checks the key, then takes a token from the key's bucket, then hands
the request to the normal handler (where ``require_api_key`` still documents the security schemes).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from opsrunbook_api.api.deps import authenticate, get_context, key_from_headers
from opsrunbook_api.api.errors import ApiError


class AuthFirstRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            context = get_context(request)
            candidate = key_from_headers(request)
            authenticate(context, candidate)
            wait = context.rate_limiter.retry_after(candidate or "")
            if wait is not None:
                raise ApiError(429, "too many requests for this API key", headers={"Retry-After": str(wait)})
            return await handler(request)

        return authenticated
