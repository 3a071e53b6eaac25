"""What the daemon does with a sensor's ``RunRequest``, for sensor tests: a run on the instance
carrying the request's tags (run key, partition, OpsRunbook tags), of a trivial job or a given one."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg


@dg.op
def launched_step() -> None:
    return None


@dg.job
def launched() -> None:
    launched_step()


def launch_as_the_daemon(
    instance: dg.DagsterInstance, tags: Mapping[str, str], job: dg.JobDefinition = launched
) -> None:
    job.execute_in_process(instance=instance, tags=dict(tags), raise_on_error=False)
