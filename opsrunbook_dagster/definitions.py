"""The Dagster code location: thin wiring of assets, checks, sensors and resources."""

from __future__ import annotations

import dagster as dg

from opsrunbook_dagster.defs.evidence_assets import incident_evidence
from opsrunbook_dagster.defs.jobs import incident_job
from opsrunbook_dagster.defs.outputs_assets import (
    action_plan,
    action_results,
    evidence_snapshot,
    incident_packet,
)
from opsrunbook_dagster.defs.pr_review import pr_fix_plan, pr_review_event, pr_review_job, pr_review_sensor
from opsrunbook_dagster.defs.replay_sensor import replay_request_sensor
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws
from opsrunbook_dagster.defs.run_status_sensors import (
    incident_run_canceled,
    incident_run_failed,
    incident_run_started,
    incident_run_succeeded,
)
from opsrunbook_dagster.defs.sensors import incident_request_sensor

defs = dg.Definitions(
    assets=[
        incident_evidence,
        evidence_snapshot,
        incident_packet,
        action_plan,
        action_results,
        pr_review_event,
        pr_fix_plan,
    ],
    jobs=[incident_job, pr_review_job],
    sensors=[
        incident_request_sensor,
        replay_request_sensor,
        pr_review_sensor,
        incident_run_started,
        incident_run_succeeded,
        incident_run_failed,
        incident_run_canceled,
    ],
    resources={"aws": OpsRunbookAws(), "actions": ActionSettings()},
)
