"""Replay: rebuild a past run's packet and plan from its stored evidence and compare byte for byte.

One path for the API, the CLI and Dagster: a replay request row (``REPLAY#{replay_id}`` in the
incident-requests table, on its own queue) → ``replay_request_sensor`` → one Dagster run per
partition (``incident_packet`` + ``action_plan``, tagged ``opsrunbook/replay_id``) → ``REPLAYCHECK#``
rows → a terminal status on the request row: ``MATCH``, ``DIFF`` or ``FAILED`` with the reason.

Domain code here (no Dagster, no FastAPI): ``planning.py`` (which runs a request covers),
``outcome.py`` (the terminal status from the runs and their checks), ``diffing.py`` (where a rebuilt
object differs, as JSON pointers). The rebuild-and-compare itself is the incident pipeline's own
stages (``pipeline/outputs.py``, ``pipeline/charts.py``) run again; the rows are in
``stores/replays.py``; the adapters in ``defs/replay/``, ``opsrunbook_api/services/replays.py`` and
``opsrunbook replay``.
"""

from opsrunbook_dagster.stores.request_queue import TAG_PREFIX

#: The subject of a replay's launches that names the replay, and so the Dagster run tag that names
#: the replay a run belongs to (``opsrunbook/replay_id``).
REPLAY_SUBJECT = "replay_id"
REPLAY_TAG = f"{TAG_PREFIX}{REPLAY_SUBJECT}"
