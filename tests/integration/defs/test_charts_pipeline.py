"""Charts through the real pipeline: drawn after the packet, stored beside it, served by the API,
byte-identical on replay."""

from __future__ import annotations

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from contracts.canonical import sha256_hex
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import chart_key, packet_key, results_key
from tests.integration.api_support import api_fixtures, auth
from tests.integration.defs.test_pipeline_assets import ALL, REPLAY, _materialize, _submit, metadata_by_asset

pytestmark = pytest.mark.integration
PREFIX = "charts-"
names, deps, client = api_fixtures(PREFIX)


def _resources(sandbox) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws

    aws = OpsRunbookAws(
        endpoint_url=sandbox.endpoint_url, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence"
    )
    return {"aws": aws, "actions": ActionSettings()}


def test_metric_finding_chart_is_stored_served_and_replayed_byte_identically(
    sandbox, aws: AwsTarget, deps: PipelineDeps, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    key = _submit(deps, aws, "nab-metric-anomaly", minutes_ago=0)
    incident_id, run_id = key.split(".")
    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(instance, key, ALL, _resources(sandbox))
        assert result.success
        by_asset = metadata_by_asset(result)
        meta = by_asset["incident_packet"]
        table = by_asset["evidence_metrics"]["series_table"]
        assert isinstance(table, dg.TableMetadataValue) and table.records
        assert {c.name for c in table.schema.columns} >= {"series", "sparkline"}
        assert all(r.data["sparkline"] for r in table.records if r.data.get("points"))
        packet = IncidentPacketV1.model_validate_json(deps.objects.get_bytes(packet_key(incident_id, run_id)))
        metric = [f for f in packet.findings if f.metric is not None]
        assert metric, "the scenario's CPU jump is a metric finding"
        finding = metric[0]
        png = deps.objects.get_bytes(chart_key(incident_id, run_id, finding.id))
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        recorded = {c["finding_id"]: c["sha256"] for c in meta["charts"].value}
        assert recorded[finding.id] == sha256_hex(png)
        results = deps.objects.get_json(results_key(incident_id, run_id))
        jira = next(r for r in results if r["action_type"] == "jira_ticket")
        assert jira["status"] == "dry_run"
        (upload,) = jira["request"]["followed_by"]  # the dry run records the attachment it would send
        assert upload["headers"] == {"X-Atlassian-Token": "no-check"}
        assert upload["multipart"]["file"]["sha256"] == sha256_hex(png)
        summary = meta["summary"].value
        assert "data:image/png;base64," in summary and "#### Suspected owners" in summary

        served = client.get(f"/v1/incidents/{incident_id}/charts/{finding.id}.png", headers=auth())
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert served.content == png and served.headers["x-content-sha256"] == sha256_hex(png)
        assert client.get(f"/v1/incidents/{incident_id}/charts/{finding.id}.png").status_code == 401
        absent = packet.findings[-1].id if packet.findings[-1].metric is None else "f-0000000000000000"
        assert (
            client.get(f"/v1/incidents/{incident_id}/charts/{absent}.png", headers=auth()).status_code == 404
        )
        assert client.get(f"/v1/incidents/{incident_id}/charts/nope.png", headers=auth()).status_code == 422

        replay = _materialize(instance, key, REPLAY, _resources(sandbox))
        assert replay.success
        again = metadata_by_asset(replay)["incident_packet"]
        assert again["charts_replay_match"].value is True and again["replay_match"].value is True
        assert deps.objects.get_bytes(chart_key(incident_id, run_id, finding.id)) == png
