"""The oldest-pending metric: a pure datum, published only when a namespace is set, never raising."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import EndpointConnectionError

from opsrunbook_dagster.aws.metrics import MetricPublisher, oldest_pending_datum

AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_datum_is_pure_and_clamped() -> None:
    datum = oldest_pending_datum(-3.0, AT, "prod-incident-requests")
    assert datum == oldest_pending_datum(-3.0, AT, "prod-incident-requests")
    assert datum["MetricName"] == "OldestPendingRequestAgeSeconds" and datum["Value"] == 0.0
    assert datum["Dimensions"] == [{"Name": "RequestsTable", "Value": "prod-incident-requests"}]
    assert datum["Unit"] == "Seconds" and datum["Timestamp"] == AT


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def put_metric_data(self, **kwargs: Any) -> None:
        if self.fail:
            raise EndpointConnectionError(endpoint_url="http://cloudwatch")
        self.calls.append(kwargs)


def test_no_namespace_no_client_and_no_call() -> None:
    built: list[int] = []
    assert MetricPublisher.from_env({}, lambda: built.append(1)) is None
    assert built == []


def test_publishes_into_the_namespace_and_survives_failures() -> None:
    ok = Recorder()
    publisher = MetricPublisher.from_env({"OPSRUNBOOK_METRICS_NAMESPACE": "OpsRunbook"}, lambda: ok)
    assert publisher is not None and publisher.publish(oldest_pending_datum(42.0, AT, "t"))
    assert ok.calls[0]["Namespace"] == "OpsRunbook" and ok.calls[0]["MetricData"][0]["Value"] == 42.0
    assert (
        MetricPublisher(Recorder(fail=True), "OpsRunbook").publish(oldest_pending_datum(1.0, AT, "t"))
        is False
    )
