"""Turn bad input into one line on stderr and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

from pydantic import ValidationError

from contracts.registry import first_error
from opsrunbook_dagster.sandbox.scenario import ScenarioError

EXIT_BAD_INPUT = 2


class UsageError(ValueError):
    """Bad input given on the command line."""


def fail(message: str) -> int:
    print(f"opsrunbook: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def bad_input_exits_2(func: Callable[..., int]) -> Callable[..., int]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            return fail(first_error(exc))
        except (ScenarioError, UsageError) as exc:
            return fail(str(exc))

    return wrapper
