"""One dynamic partition per (incident, collector run): ``<incident_id>.<run_id>``."""

import dagster as dg

from contracts.ids import parse_partition_key

incident_runs = dg.DynamicPartitionsDefinition(name="incident_runs")


PARTITION_TAG = "dagster/partition"


def ids_of(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> tuple[str, str]:
    """(incident_id, run_id) of the partition being materialized or checked (checks read the run's tag)."""
    if isinstance(context, dg.AssetExecutionContext):
        return parse_partition_key(context.partition_key)
    return parse_partition_key(context.run.tags[PARTITION_TAG])
