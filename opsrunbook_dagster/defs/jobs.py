"""The incident job: every asset of the incident group for one partition, in one process."""

import dagster as dg

incident_job = dg.define_asset_job(
    "incident_job",
    selection=dg.AssetSelection.groups("incident"),
    executor_def=dg.in_process_executor,
    description="Collect evidence, build the snapshot, packet and plan, and act on it for one incident run.",
)
