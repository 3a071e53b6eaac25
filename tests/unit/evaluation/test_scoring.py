from __future__ import annotations

from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.evaluation.scoring import score
from opsrunbook_dagster.sandbox.scenario import Expected
from tests import factories


def _packet(*findings: dict) -> IncidentPacketV1:  # type: ignore[type-arg]
    return IncidentPacketV1.model_validate(factories.packet(findings=list(findings)))


EXPECTED = Expected.model_validate(
    {
        "root_cause": {"kind": "lambda_timeout", "resource": "payment-gateway", "contains": "TASK TIMED OUT"},
        "must_not_flag": ["/aws/lambda/healthy-service"],
        "owner_repo": "acme/payment-gateway",
    }
)


def test_top1_needs_kind_resource_containment_and_text() -> None:
    hit = factories.finding(resource="/aws/lambda/payment-gateway")
    result = score("s", _packet(hit), EXPECTED, [])
    assert result.top1 and result.top3 and result.passed
    wrong_kind = factories.finding(kind="runtime_error", resource="/aws/lambda/payment-gateway")
    assert not score("s", _packet(wrong_kind), EXPECTED, []).top1
    other_resource = factories.finding(resource="/aws/lambda/orders")
    assert not score("s", _packet(other_resource), EXPECTED, []).top1
    second = score("s", _packet(wrong_kind, hit), EXPECTED, [])
    assert not second.top1 and second.top3 and not second.passed


def test_must_not_flag_grounding_and_owner() -> None:
    flagged = factories.finding(
        kind="log_signature", resource="/aws/lambda/healthy-service", confidence=0.3, evidence_refs=[]
    )
    result = score("s", _packet(factories.finding(), flagged), EXPECTED, ["f-1: missing"])
    assert result.must_not_flag_violations and result.grounding_violations and not result.passed
    assert result.owner_repo_hit is False


def test_healthy_control_passes_only_when_quiet() -> None:
    control = Expected.model_validate({"root_cause": {"kind": "none"}})
    quiet = factories.finding(confidence=0.5, evidence_refs=[])
    assert score("c", _packet(quiet), control, []).passed
    assert not score("c", _packet(factories.finding(confidence=0.51)), control, []).passed
