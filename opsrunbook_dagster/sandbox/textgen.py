"""Log-line templating for scenarios: only the documented placeholders are substituted.

``{ts}`` ISO time of the line, ``{uuid}``, ``{int:A-B}``, ``{hex:N}``, ``{ip}``, ``{choice:a|b}``.
Every other brace is literal, so JSON log lines survive untouched. ``\\n`` inside a template
makes one multi-line event.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime

_PLACEHOLDER = re.compile(r"\{(ts|uuid|ip|int:(-?\d+)-(-?\d+)|hex:(\d{1,3})|choice:([^{}]*))\}")


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def format_ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def render(template: str, *, rng: random.Random, moment: datetime, tick_uuid: str) -> str:
    """Substitute placeholders; ``{uuid}`` is ``tick_uuid`` (one request id per tick)."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "ts":
            return format_ts(moment)
        if token == "uuid":
            return tick_uuid
        if token == "ip":
            return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if token.startswith("int:"):
            low, high = int(match.group(2)), int(match.group(3))
            return str(rng.randint(min(low, high), max(low, high)))
        if token.startswith("hex:"):
            return f"{rng.getrandbits(4 * int(match.group(4))):0{int(match.group(4))}x}"
        options = match.group(5).split("|")
        return rng.choice(options)

    return _PLACEHOLDER.sub(substitute, template)
