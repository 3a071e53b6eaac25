"""Preload target of the local run launcher's forkserver (``preload_modules`` in infra/dagster.yaml).

Importing this module parses the AWS service models every incident run uses
(:func:`opsrunbook_dagster.aws.clients.preload_service_models`) once in the forkserver; each run
worker forked from it then creates its boto3 clients from that copy-on-write memory instead of
parsing the JSON models again (~0.2 CPU-s of each run). It is the project's one module whose import
does work, on purpose: Python's forkserver runs nothing but the imports of its preload list; it
also freezes the garbage collector's view of what the forkserver has imported (below). Nothing
in the project imports it (tests/unit/test_architecture.py keeps it so). A failure here is logged,
never raised: the forkserver would otherwise fail every run it forks.
"""

import gc
import logging

from opsrunbook_dagster.aws import clients

try:
    clients.preload_service_models()
except Exception:  # only an optimisation: a forkserver that fails here would fail every run
    logging.getLogger(__name__).warning(
        "AWS service models not preloaded; each run parses its own", exc_info=True
    )

# Last in the preload list: move everything imported so far out of the collector's reach, as
# Python's docs advise before forking workers. A worker's collections then never walk (and so
# never copy-on-write) the forkserver's ~1M preloaded objects: ~0.1 CPU-s of a run worker.
gc.freeze()
