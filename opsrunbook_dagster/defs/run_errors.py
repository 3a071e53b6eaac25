"""The failed steps of a Dagster run, as a person should read them."""

import dagster as dg


def step_errors(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """``step: message`` per failed step, with the user code's own error (the innermost cause), not
    Dagster's wrapper around it."""
    errors = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        error = getattr(event.event_specific_data, "error", None) if event else None
        while getattr(error, "cause", None) is not None:
            error = error.cause  # type: ignore[union-attr]
        message = getattr(error, "message", "") or (event.message if event else "") or ""
        errors.append(f"{event.step_key if event else None}: {message.strip()}")
    return errors
