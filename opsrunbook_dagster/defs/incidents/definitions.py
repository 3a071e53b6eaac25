"""The incident feature's Dagster definitions (resources are shared: see ``opsrunbook_dagster/definitions.py``)."""

import dagster as dg

from opsrunbook_dagster.defs.incidents.evidence_assets import incident_evidence
from opsrunbook_dagster.defs.incidents.jobs import incident_job
from opsrunbook_dagster.defs.incidents.outputs_assets import (
    action_plan,
    action_results,
    evidence_snapshot,
    incident_packet,
)
from opsrunbook_dagster.defs.incidents.run_status_sensor import incident_run_status_sensor
from opsrunbook_dagster.defs.incidents.sensors import incident_request_sensor

definitions = dg.Definitions(
    assets=[incident_evidence, evidence_snapshot, incident_packet, action_plan, action_results],
    jobs=[incident_job],
    sensors=[incident_request_sensor, incident_run_status_sensor],
)
