"""The replay feature's Dagster definitions (it re-runs the incident feature's assets)."""

import dagster as dg

from opsrunbook_dagster.defs.replay.sensors import replay_request_sensor

definitions = dg.Definitions(sensors=[replay_request_sensor])
