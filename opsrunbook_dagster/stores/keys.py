"""S3 key layout (one place, so every reader and writer agrees)."""

from __future__ import annotations


def evidence_key(incident_id: str, run_id: str, collector: str) -> str:
    return f"evidence/{incident_id}/{run_id}/{collector}.json"


def snapshot_key(incident_id: str, run_id: str) -> str:
    return f"evidence/{incident_id}/{run_id}.json"


def packet_key(incident_id: str, run_id: str) -> str:
    return f"packets/{incident_id}/{run_id}.json"


def plan_key(incident_id: str, run_id: str) -> str:
    return f"plans/{incident_id}/{run_id}.json"


def results_key(incident_id: str, run_id: str, attempt: int = 1) -> str:
    """Action results of a run; a later materialization that acted differently is appended as
    ``{run_id}.{attempt}.json`` (``ACTIONS#LATEST`` names the newest)."""
    return (
        f"results/{incident_id}/{run_id}.json"
        if attempt <= 1
        else f"results/{incident_id}/{run_id}.{attempt}.json"
    )


def chart_key(incident_id: str, run_id: str, finding_id: str) -> str:
    """A metric finding's chart (PNG), beside the packet's run."""
    return f"charts/{incident_id}/{run_id}/{finding_id}.png"


def charts_index_key(incident_id: str, run_id: str) -> str:
    """The run's chart list (finding id, key, sha256, size, title), canonical JSON."""
    return f"charts/{incident_id}/{run_id}/index.json"


def replay_key(kind: str, incident_id: str, run_id: str, sha256: str) -> str:
    """Where a replay that did *not* reproduce the stored object keeps its rebuilt version."""
    return f"replays/{kind}/{incident_id}/{run_id}/{sha256[:16]}.json"


def replay_chart_key(incident_id: str, run_id: str, finding_id: str, sha256: str) -> str:
    """Where a replay whose chart differs from the stored PNG keeps its rebuilt version."""
    return f"replays/charts/{incident_id}/{run_id}/{finding_id}-{sha256[:16]}.png"


def pr_review_event_key(delivery_id: str) -> str:
    """The normalized review event of one GitHub webhook delivery (``github_pr_review_event.v1``)."""
    return f"pr-reviews/{delivery_id}/event.json"


def pr_fix_plan_key(delivery_id: str) -> str:
    """The fix plan decided for one delivery (``pr_fix_plan.v1``)."""
    return f"pr-reviews/{delivery_id}/plan.json"
