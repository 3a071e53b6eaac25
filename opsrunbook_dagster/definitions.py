"""The Dagster code location: thin wiring of assets, checks, sensors and resources."""

from __future__ import annotations

import dagster as dg

defs = dg.Definitions()
