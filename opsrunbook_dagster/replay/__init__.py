"""Replay: rebuild a past run's packet and plan from its stored evidence and compare byte for byte.

One path for the API, the CLI and Dagster: a replay request row (``REPLAY#{replay_id}`` in the
incident-requests table, on its own queue) → ``replay_request_sensor`` → one Dagster run per
partition (``incident_packet`` + ``action_plan``, tagged ``opsrunbook/replay_id``) → ``REPLAYCHECK#``
rows → a terminal status on the request row: ``MATCH``, ``DIFF`` or ``FAILED`` with the reason.
"""

#: The Dagster run tag that names the replay a run belongs to (set by the replay sensor).
REPLAY_TAG = "opsrunbook/replay_id"
