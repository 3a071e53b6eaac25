"""OpsRunbook's Dagster project: domain packages (pure) plus thin Dagster adapters in ``defs``."""
