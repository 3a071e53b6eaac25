"""The Dagster code location: each feature's definitions (``defs/<feature>/definitions.py``) and the
shared resources. Only ``defs`` may be a ``Definitions`` at module scope here (Dagster's loader
refuses a module with more than one), so the features are imported as modules."""

from __future__ import annotations

import dagster as dg

from opsrunbook_dagster.defs.incidents import definitions as incidents
from opsrunbook_dagster.defs.pr_review import definitions as pr_review
from opsrunbook_dagster.defs.replay import definitions as replay
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws

defs = dg.Definitions.merge(
    incidents.definitions,
    replay.definitions,
    pr_review.definitions,
    dg.Definitions(resources={"aws": OpsRunbookAws(), "actions": ActionSettings()}),
)
