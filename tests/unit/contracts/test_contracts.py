from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts.canonical import canonical_json
from contracts.registry import CONTRACTS, export_json_schemas, first_error
from tests import factories

VALID: dict[str, Any] = {
    "incident_event.v1": factories.incident_event,
    "logs_evidence.v1": factories.logs_evidence,
    "evidence_snapshot.v1": factories.snapshot,
    "incident_packet.v1": factories.packet,
    "incident_action_plan.v1": factories.action_plan,
    "incident_action_result.v1": factories.action_result,
    "github_pr_review_event.v1": factories.pr_review_event,
    "pr_fix_plan.v1": factories.pr_fix_plan,
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_documents_round_trip_byte_identically(name: str) -> None:
    model: type[BaseModel] = CONTRACTS[name]
    first = model.model_validate(VALID[name]())
    assert first.model_dump()["schema_version"] == name
    again = model.model_validate(json.loads(canonical_json(first)))
    assert canonical_json(again) == canonical_json(first)


@pytest.mark.parametrize("name", sorted(VALID))
def test_unknown_fields_are_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="extra_field"):
        CONTRACTS[name].model_validate({**VALID[name](), "extra_field": 1})


@pytest.mark.parametrize("name", sorted(VALID))
def test_wrong_schema_version_is_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        CONTRACTS[name].model_validate({**VALID[name](), "schema_version": "something.v2"})


def _event_error(**overrides: Any) -> str:
    with pytest.raises(ValidationError) as info:
        CONTRACTS["incident_event.v1"].model_validate(factories.incident_event(**overrides))
    return first_error(info.value)


def test_incident_event_rules_name_the_field() -> None:
    now = datetime.now(UTC)
    assert _event_error(event_id="short").startswith("event_id:")
    assert "end must be after start" in _event_error(
        time_window={"start": now.isoformat(), "end": (now - timedelta(minutes=1)).isoformat()}
    )
    assert "longer than 7 days" in _event_error(
        time_window={"start": (now - timedelta(days=8)).isoformat(), "end": now.isoformat()}
    )
    assert "in the future" in _event_error(
        time_window={"start": now.isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
    )
    assert _event_error(
        time_window={"start": "2026-11-26T10:00:00", "end": "2026-11-26T11:00:00"}
    ).startswith("time_window.start:")
    assert "at least one hint" in _event_error(hints={})
    assert _event_error(severity="sev1").startswith("severity:")
    assert _event_error(
        hints={"metrics": [{"namespace": "AWS/Lambda", "metric": "Errors", "stat": "p999x"}]}
    ).startswith("hints.metrics.0.stat:")
    assert _event_error(hints={"log_groups": ["bad group name!"]}).startswith("hints.log_groups.0:")


def test_incident_event_strips_dedupes_and_derives_ids() -> None:
    event = CONTRACTS["incident_event.v1"].model_validate(
        factories.incident_event(service="  payment-gateway ", hints={"log_groups": ["/a", "/a", " /b "]})
    )
    assert event.service == "payment-gateway"  # type: ignore[attr-defined]
    assert event.hints.log_groups == ["/a", "/b"]  # type: ignore[attr-defined]
    assert event.resolved_incident_id.startswith("inc-")  # type: ignore[attr-defined]
    explicit = CONTRACTS["incident_event.v1"].model_validate(factories.incident_event(incident_id="INC-4711"))
    assert explicit.resolved_incident_id == "INC-4711"  # type: ignore[attr-defined]


def test_finding_needs_evidence_above_grounding_threshold() -> None:
    packet = CONTRACTS["incident_packet.v1"]
    with pytest.raises(ValidationError, match="must cite evidence_refs"):
        packet.model_validate(factories.packet(findings=[factories.finding(evidence_refs=[])]))
    weak = packet.model_validate(
        factories.packet(findings=[factories.finding(evidence_refs=[], confidence=0.5)])
    )
    assert weak.findings[0].evidence_refs == []  # type: ignore[attr-defined]


def test_finding_id_is_derived_from_content_and_verified() -> None:
    packet_model = CONTRACTS["incident_packet.v1"]
    packet = packet_model.model_validate(factories.packet())
    finding = packet.findings[0]  # type: ignore[attr-defined]
    assert finding.id.startswith("f-")
    changed = packet_model.model_validate(factories.packet(findings=[factories.finding(count=61)]))
    assert changed.findings[0].id != finding.id  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="does not match its content"):
        packet_model.model_validate(factories.packet(findings=[factories.finding(id="f-forged")]))


@pytest.mark.parametrize("pointer", ["rows/0", "/rows/~2", "/a~"])
def test_evidence_ref_pointer_must_be_rfc6901(pointer: str) -> None:
    with pytest.raises(ValidationError, match="pointer"):
        CONTRACTS["incident_packet.v1"].model_validate(
            factories.packet(findings=[factories.finding(evidence_refs=[factories.evidence_ref(pointer)])])
        )


def test_packet_hash_excludes_itself_and_is_stable() -> None:
    packet = CONTRACTS["incident_packet.v1"].model_validate(factories.packet())
    hashed = packet.with_hashes()  # type: ignore[attr-defined]
    assert hashed.packet_hashes.content_sha256 == packet.compute_content_hash()  # type: ignore[attr-defined]
    assert hashed.compute_content_hash() == packet.compute_content_hash()


def test_schema_export_writes_every_contract(tmp_path: Path) -> None:
    paths = export_json_schemas(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.schema.json" for n in CONTRACTS)
    schema = json.loads((tmp_path / "incident_event.v1.schema.json").read_text())
    assert "event_id" in schema["required"] and schema["additionalProperties"] is False
