"""Dagster adapters over the pure pipeline code, one folder per feature (``incidents/``, ``replay/``,
``pr_review/``: assets, checks, jobs, sensors and each feature's ``definitions.py``), and what they
share: ``resources.py`` (the ``aws`` and ``actions`` resources, settings at tick/run time) and
``run_queue.py`` (the request queue's Dagster side)."""
