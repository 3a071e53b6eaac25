"""The incident job: every asset of the incident group for one partition, in one process."""

import dagster as dg

#: A step that fails on a transient outage (AWS throttling or 5xx, a Jira/GitHub outage) is retried
#: in place after 5, 10, 20 and 40 s: every step is idempotent (deterministic keys, write-once
#: objects, conditional rows, an exactly-once action ledger), and a minute-long outage is common.
#: A run whose worker died is retried as a whole by Dagster's run retries (see the sensor's tags).
STEP_RETRY = dg.RetryPolicy(
    max_retries=4, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

incident_job = dg.define_asset_job(
    "incident_job",
    selection=dg.AssetSelection.groups("incident"),
    executor_def=dg.in_process_executor,
    op_retry_policy=STEP_RETRY,
    description="Collect evidence, build the snapshot, packet and plan, and act on it for one incident run.",
)
