"""The Dagster side of the request queues (``stores/request_queue.py``): how many runs may start,
whether a run key already has a run, and the ``SensorResult`` of a drained tick. Every sensor that
turns queued rows into runs (incident requests, PR reviews, replays) goes through here."""

from collections.abc import Callable, Mapping, Sequence

import dagster as dg

from opsrunbook_dagster.settings import OpsRunbookSettings
from opsrunbook_dagster.stores.request_queue import TAG_PREFIX, Launch, TickPlan, take
from opsrunbook_dagster.stores.requests_table import RequestStore

#: Runs in flight are capped by ``settings.max_concurrent_runs`` (OPSRUNBOOK_MAX_CONCURRENT_RUNS,
#: default 8; each is a process); the rest wait in the table.
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
#: The tag in which Dagster records a ``RunRequest``'s ``run_key`` on the run it creates (the
#: documented way to find a sensor's runs by key; Dagster exports no public constant for it).
RUN_KEY_TAG = "dagster/run_key"


def capacity(instance: dg.DagsterInstance, settings: OpsRunbookSettings) -> int:
    """Runs that may start now: the in-flight cap less every run in flight (incident, replay and
    PR-review runs all count; each is a process)."""
    limit = settings.max_concurrent_runs
    in_flight = instance.get_runs_count(filters=dg.RunsFilter(statuses=IN_FLIGHT))
    return max(0, limit - in_flight)


def run_exists(instance: dg.DagsterInstance, run_key: str) -> bool:
    return bool(instance.get_run_ids(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1))


def take_launches(
    instance: dg.DagsterInstance,
    store: RequestStore,
    plan: TickPlan,
    *,
    slots: int,
    settings: OpsRunbookSettings,
) -> list[Launch]:
    """``request_queue.take`` with this instance's runs as the de-duplication by run key."""
    return take(
        store,
        plan.launches,
        slots=slots,
        run_exists=lambda run_key: run_exists(instance, run_key),
        stale_after_seconds=settings.reschedule_after_seconds,
    )


def tick_result(
    launches: list[Launch],
    partitions: dg.DynamicPartitionsDefinition | None = None,
    tags: Callable[[Launch], Mapping[str, str]] | None = None,
    cursor: str | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
) -> dg.SensorResult:
    """One run per launch (its subject as ``opsrunbook/<name>`` tags, beside ``tags(launch)``; of
    ``asset_selection`` only, when given), and its partition added to ``partitions`` in the same
    tick (None: the partitions exist already, as a replay's do)."""
    requests = [
        dg.RunRequest(
            run_key=launch.run_key,
            partition_key=launch.partition_key,
            asset_selection=list(asset_selection) if asset_selection is not None else None,
            tags={
                **(tags(launch) if tags else {}),
                **{f"{TAG_PREFIX}{k}": v for k, v in launch.subject.items()},
            },
        )
        for launch in launches
    ]
    keys = sorted({launch.partition_key for launch in launches})
    return dg.SensorResult(
        cursor=cursor,
        run_requests=requests,
        dynamic_partitions_requests=[partitions.build_add_request(keys)] if partitions and keys else [],
    )
