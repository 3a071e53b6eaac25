"""Path parameters shared by the routers, validated against the id formats of ``contracts.ids``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from contracts.ids import INCIDENT_ID_PATTERN, RUN_ID_PATTERN

IncidentIdPath = Annotated[
    str, Path(pattern=rf"^{INCIDENT_ID_PATTERN}$", examples=["inc-7d1f0c9e2a4b"], description="Incident id")
]
RunIdPath = Annotated[
    str, Path(pattern=rf"^{RUN_ID_PATTERN}$", examples=["r5c0e8a1b3d2f"], description="Run id")
]
ReplayIdPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", examples=["rp-3f9a0c1d2e4b"], description="Replay id")
]
FindingIdPath = Annotated[
    str, Path(pattern=r"^f-[0-9a-f]{16}$", examples=["f-0123456789abcdef"], description="Finding id")
]
