"""Replay in Dagster: the sensor that turns replay requests into runs rebuilding ``incident_packet``
+ ``action_plan`` of stored runs, and drives each replay to MATCH, DIFF or FAILED (domain code:
``opsrunbook_dagster/replay/``)."""
