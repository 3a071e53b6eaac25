"""The PR review feature's Dagster definitions."""

import dagster as dg

from opsrunbook_dagster.defs.pr_review.assets import pr_fix_plan, pr_review_event, pr_review_job
from opsrunbook_dagster.defs.pr_review.sensors import pr_review_sensor

definitions = dg.Definitions(
    assets=[pr_review_event, pr_fix_plan], jobs=[pr_review_job], sensors=[pr_review_sensor]
)
