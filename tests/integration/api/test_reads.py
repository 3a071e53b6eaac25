"""Read endpoints return what the pipeline stored: objects written with ObjectStore, and a real inline run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.actions import ActionFlags, ActionPlanV1, ActionResultV1
from contracts.canonical import canonical_json, sha256_hex
from contracts.evidence import LogsEvidenceV1, MetricsEvidenceV1
from contracts.packet import IncidentPacketV1
from contracts.snapshot import EvidenceSnapshotV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from opsrunbook_dagster.sandbox.scenario import load_scenario
from opsrunbook_dagster.sandbox.seeder import seed_scenario
from opsrunbook_dagster.stores.keys import evidence_key, packet_key, plan_key, results_key, snapshot_key
from tests import factories
from tests.conftest import tamper
from tests.integration.api_support import api_fixtures, assert_error, auth, event_body

pytestmark = pytest.mark.integration
PREFIX = "api-reads-"


names, deps, client = api_fixtures(PREFIX)


def _submit(client: TestClient, incident_id: str) -> str:
    response = client.post("/v1/incidents", json=event_body(incident_id=incident_id), headers=auth())
    assert response.status_code == 202, response.text
    return str(response.json()["run_id"])


def _log_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "window": "incident",
            "timestamp": (factories.NOW - timedelta(seconds=i)).isoformat(),
            "log_group": "/aws/lambda/payment-gateway",
            "message": f"Task timed out after 3.00 seconds #{i}",
        }
        for i in range(n)
    ]


def _store_run(deps: PipelineDeps, incident_id: str, run_id: str, rows: int) -> dict[str, Any]:
    """Evidence (logs + metrics), snapshot, packet, plan and results of one run, as the pipeline lays them out."""
    ids = {"incident_id": incident_id, "run_id": run_id}
    logs = deps.objects.put_json(
        evidence_key(incident_id, run_id, "logs"),
        LogsEvidenceV1.model_validate(factories.logs_evidence(**ids, rows=_log_rows(rows))),
    )
    metrics_doc = {
        **{k: v for k, v in factories.logs_evidence(**ids).items() if k not in ("queries", "rows")},
        "period_seconds": 60,
        "series": [{"id": f"m{i}", "label": f"m{i}", "status_code": "Complete"} for i in range(3)],
    }
    metrics = deps.objects.put_json(
        evidence_key(incident_id, run_id, "metrics"), MetricsEvidenceV1.model_validate(metrics_doc)
    )
    items = [
        {
            "collector": c,
            "bucket": deps.names.evidence_bucket,
            "key": s.key,
            "sha256": s.sha256,
            "byte_size": s.byte_size,
            "truncated": False,
            "status": "complete",
        }
        for c, s in (("logs", logs), ("metrics", metrics))
    ]
    snapshot = deps.objects.put_json(
        snapshot_key(incident_id, run_id),
        EvidenceSnapshotV1.model_validate(
            factories.snapshot(**ids, partition_key=f"{incident_id}.{run_id}", items=items)
        ),
    )
    deps.incidents.put_snapshot_row(incident_id, run_id, {"s3_key": snapshot.key, "sha256": snapshot.sha256})
    packet = deps.objects.put_json(
        packet_key(incident_id, run_id), IncidentPacketV1.model_validate(factories.packet(**ids))
    )
    deps.incidents.put_packet_row(incident_id, run_id, {"s3_key": packet.key, "sha256": packet.sha256})
    plan = deps.objects.put_json(
        plan_key(incident_id, run_id), ActionPlanV1.model_validate(factories.action_plan(**ids))
    )
    results = deps.objects.put_json(
        results_key(incident_id, run_id), [ActionResultV1.model_validate(factories.action_result(**ids))]
    )
    return {"snapshot": snapshot, "packet": packet, "plan": plan, "results": results, "logs": logs}


def test_objects_of_the_latest_run_are_served_as_stored(client: TestClient, deps: PipelineDeps) -> None:
    incident_id = "reads-latest-1"
    first = _submit(client, incident_id)
    stored_first = _store_run(deps, incident_id, first, rows=3)
    base = f"/v1/incidents/{incident_id}"
    packet = client.get(f"{base}/packet/latest", headers=auth())
    assert packet.status_code == 200, packet.text
    assert packet.content == deps.objects.get_bytes(stored_first["packet"].key)
    assert packet.headers["x-content-sha256"] == stored_first["packet"].sha256
    assert packet.headers["x-run-id"] == first

    second = _submit(client, incident_id)  # a newer run without objects yet: "latest" still finds the first
    assert client.get(f"{base}/packet/latest", headers=auth()).headers["x-run-id"] == first
    assert client.get(f"{base}/snapshot/latest", headers=auth()).headers["x-run-id"] == first
    assert_error(client.get(f"{base}/packet/{second}", headers=auth()), 404, "not_found")

    stored_second = _store_run(deps, incident_id, second, rows=1)
    snapshot = client.get(f"{base}/snapshot/latest", headers=auth())
    assert snapshot.headers["x-run-id"] == second
    assert sha256_hex(snapshot.content) == stored_second["snapshot"].sha256
    assert snapshot.json()["schema_version"] == "evidence_snapshot.v1"
    assert client.get(f"{base}/packet/{first}", headers=auth()).content == deps.objects.get_bytes(
        stored_first["packet"].key
    )


def test_evidence_lists_are_bounded_and_filterable(client: TestClient, deps: PipelineDeps) -> None:
    incident_id = "reads-evidence-1"
    run_id = _submit(client, incident_id)
    stored = _store_run(deps, incident_id, run_id, rows=250)
    base = f"/v1/incidents/{incident_id}/evidence"
    evidence = client.get(base, headers=auth()).json()
    assert evidence["run_id"] == run_id and evidence["limit"] == 200 and evidence["truncated"] is True
    logs, metrics = evidence["items"]
    assert (logs["collector"], metrics["collector"]) == ("logs", "metrics")
    assert logs["sha256"] == stored["logs"].sha256
    assert logs["truncated_lists"] == {"rows": {"total": 250, "returned": 200}}
    assert len(logs["evidence"]["rows"]) == 200
    assert logs["evidence"]["rows"][0]["message"].endswith("#0")
    assert metrics["truncated_lists"] == {} and len(metrics["evidence"]["series"]) == 3

    only_metrics = client.get(base, params={"collector": "metrics", "limit": 2}, headers=auth()).json()
    assert [i["collector"] for i in only_metrics["items"]] == ["metrics"]
    assert only_metrics["items"][0]["truncated_lists"] == {"series": {"total": 3, "returned": 2}}
    everything = client.get(base, params={"limit": 1000}, headers=auth()).json()
    assert everything["truncated"] is False and len(everything["items"][0]["evidence"]["rows"]) == 250
    assert_error(client.get(base, params={"collector": "traces"}, headers=auth()), 422)
    error = assert_error(client.get(base, params={"limit": 0}, headers=auth()), 422)
    assert error["message"].startswith("query.limit:")


def test_actions_latest_and_all(client: TestClient, deps: PipelineDeps) -> None:
    incident_id = "reads-actions-1"
    base = f"/v1/incidents/{incident_id}"
    first = _submit(client, incident_id)
    assert_error(client.get(f"{base}/actions/latest", headers=auth()), 404)
    assert client.get(f"{base}/actions", headers=auth()).json() == {"incident_id": incident_id, "runs": []}
    _store_run(deps, incident_id, first, rows=1)
    latest = client.get(f"{base}/actions/latest", headers=auth()).json()
    assert latest["run_id"] == first and latest["plan"]["schema_version"] == "incident_action_plan.v1"
    assert latest["results"][0]["status"] == "dry_run"

    second = _submit(client, incident_id)
    _store_run(deps, incident_id, second, rows=1)
    deps.incidents.set_actions_latest(
        incident_id,
        first,
        {"results_key": results_key(incident_id, first), "plan_key": plan_key(incident_id, first)},
    )
    assert (
        client.get(f"{base}/actions/latest", headers=auth()).json()["run_id"] == first
    )  # ACTIONS#LATEST wins
    runs = client.get(f"{base}/actions", headers=auth()).json()["runs"]
    assert [r["run_id"] for r in runs] == [second, first]
    assert all(r["results"][0]["run_id"] == r["run_id"] for r in runs)


def test_tampered_object_is_an_integrity_error(client: TestClient, deps: PipelineDeps) -> None:
    incident_id = "reads-tamper-1"
    run_id = _submit(client, incident_id)
    stored = _store_run(deps, incident_id, run_id, rows=2)
    tamper(deps, stored["packet"].key, canonical_json(factories.packet(summary="edited later")))
    error = assert_error(
        client.get(f"/v1/incidents/{incident_id}/packet/{run_id}", headers=auth()), 500, "integrity_error"
    )
    assert error["details"] == {"key": stored["packet"].key}
    tamper(deps, stored["logs"].key, b'{"rows": []}')
    assert_error(client.get(f"/v1/incidents/{incident_id}/evidence", headers=auth()), 500, "integrity_error")


def test_a_real_inline_run_is_readable_through_the_api(
    client: TestClient, deps: PipelineDeps, aws: AwsTarget
) -> None:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=600)
    report = seed_scenario(aws, load_scenario("lambda-timeout"), now)
    assert report.request is not None
    run = run_inline(deps, report.request, ActionFlags())
    incident_id, run_id = run.packet.incident_id, run.packet.run_id
    base = f"/v1/incidents/{incident_id}"

    incident = client.get(base, headers=auth()).json()
    assert incident["latest_run"]["run_id"] == run_id
    packet = client.get(f"{base}/packet/latest", headers=auth())
    assert packet.content == canonical_json(run.packet)
    snapshot = client.get(f"{base}/snapshot/latest", headers=auth()).json()
    evidence = client.get(f"{base}/evidence", params={"limit": 5}, headers=auth()).json()
    assert [i["collector"] for i in evidence["items"]] == [i["collector"] for i in snapshot["items"]]
    assert [i["sha256"] for i in evidence["items"]] == [i["sha256"] for i in snapshot["items"]]
    assert all(len(i["evidence"].get("rows", [])) <= 5 for i in evidence["items"])
    actions = client.get(f"{base}/actions/latest", headers=auth()).json()
    assert actions["plan"] == json.loads(canonical_json(run.plan))
    assert actions["results"] == json.loads(canonical_json(run.results))
    assert [r["run_id"] for r in client.get(f"{base}/actions", headers=auth()).json()["runs"]] == [run_id]
