"""The miner's first stage: compound variables masked before a line is tokenised.

ARNs, UUIDs, ``Mon Jun 20 03:40:59 2005`` dates, URLs, absolute paths with their query,
IPv4/IPv6/MAC addresses, host names and numbers with a unit (``1.16 KB``, ``5 ms``) each become one
placeholder character, so the tokeniser (:mod:`opsrunbook_dagster.analysis.miner`) sees them as one
variable. A pattern runs only on text holding what any of its matches must contain (a ``:`` for a
time, a ``.`` for an address, a digit for a number): most lines need two or three of the ten.
"""

from __future__ import annotations

import re

from opsrunbook_dagster.analysis.masking import gated_sub

PLACEHOLDER = "\ue000"  # a masked span inside the pre-processed text (a private-use character)
_TLD = r"(?:com|net|org|edu|gov|mil|int|io|info|biz|asia|local|lan|arpa|[a-z]{2})"
_UNIT = r"(?:[KMGT]?i?B|bytes|ms|us|ns|sec|secs|seconds|s|min|mins|minutes|h|hours|days|%)"
_LEADERS = re.compile(r"\.{2,}|\u2026")  # "instruction......0", "loop..."
#: (text one of which a match must contain, or None for a digit; pattern): a line holding none of
#: them cannot match, and skips the pattern (most lines need only two or three of the ten)
_MASKS: tuple[tuple[tuple[str, ...] | None, re.Pattern[str]], ...] = (
    (("()", "[]", "{}"), re.compile(r"\(\)|\[\]|\{\}")),  # an empty value
    (("arn:aws",), re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{0,12}:[^\s\"',;)\]}]+")),
    (("-",), re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")),
    (
        (":",),
        re.compile(
            r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+"
            r"\d{1,2}\s+\d{2}:\d{2}:\d{2}(?:\s+[A-Z]{3,4})?(?:\s+\d{4})?"
        ),
    ),
    (("://",), re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+?(?=[,;:)\]}\"']?(?:\s|$))")),
    (("/",), re.compile(r"(?<![\w/])(?:/[\w.@%+~-]+){2,}/?(?:\?\S*)?")),
    (
        (":",),
        re.compile(
            r"(?<![\w:.])(?=[0-9a-fA-F:]*\d)[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,}(?:\.\d+)?(?![\w:])"
        ),
    ),
    ((".",), re.compile(r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])")),
    (
        (".",),
        re.compile(
            r"(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+" + _TLD + r"(?::\d{1,5})?(?![\w.-])", re.I
        ),
    ),
    (None, re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?\s*" + _UNIT + r"(?!\w)")),
)
#: leaders become a space first, then each mask the placeholder
_RULES = (
    (("..", "\u2026"), _LEADERS, " "),
    *((needles, pattern, PLACEHOLDER) for needles, pattern in _MASKS),
)


def preprocess(line: str) -> str:
    """The line with compound variables replaced by a private-use placeholder character."""
    return gated_sub(line, _RULES)
