"""Preload target the local run launcher adds to its forkserver: open the Dagster instance once.

Every run worker used to open the instance itself (``DagsterInstance.from_ref``: its storages, their
schema checks, the modules they import lazily), ~0.1 CPU-s of each run. The launcher hands the
instance's serialized ref to the forkserver in ``INSTANCE_REF_ENV`` when it starts it; importing this
module opens the instance there, and each worker forked from it reuses that copy
(:func:`opsrunbook_dagster.run_worker.open_instance`) when its run's ref is the same. Like
``opsrunbook_dagster.aws.forkserver_preload`` its import does work on purpose (a forkserver runs
nothing but its preload imports) and nothing in the project imports it. A failure is logged, never
raised: the workers then open the instance themselves, as before. The ref holds the instance's
configuration as ``dagster.yaml`` writes it: ``env:`` references (a database password) stay
unresolved, as in the ref every worker already receives.
"""

import logging
import os

from opsrunbook_dagster import run_worker

try:
    run_worker.warm_instance(os.environ.get(run_worker.INSTANCE_REF_ENV, ""))
except Exception:  # only an optimisation: a forkserver that fails here would fail every run
    logging.getLogger(__name__).warning(
        "Dagster instance not preloaded; each run opens its own", exc_info=True
    )
