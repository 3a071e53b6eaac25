"""The Dagster code location: each feature's definitions (``defs/<feature>/definitions.py``) and the
shared resources."""

from __future__ import annotations

import dagster as dg

from opsrunbook_dagster.defs.incidents.definitions import definitions as incidents
from opsrunbook_dagster.defs.pr_review.definitions import definitions as pr_review
from opsrunbook_dagster.defs.replay.definitions import definitions as replay
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws

defs = dg.Definitions.merge(
    incidents,
    replay,
    pr_review,
    dg.Definitions(resources={"aws": OpsRunbookAws(), "actions": ActionSettings()}),
)
