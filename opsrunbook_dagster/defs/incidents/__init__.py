"""Incidents in Dagster: one ``incident_runs`` partition per (incident, run) → evidence → snapshot →
packet → plan → action results (``incident_job``), the request sensor that queues them and the
run-status sensor that writes each run's outcome back."""
