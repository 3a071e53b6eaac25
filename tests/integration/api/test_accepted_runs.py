"""Every request the API accepts (202) yields a packet through the in-process pipeline (hypothesis).

The requests stress the shared limits (contracts/limits.py): log groups up to 512 characters,
metric namespaces/names up to 255, dimension values up to 1024, windows anywhere from 2000 on.
Before: a 300-character dimension value or a 512-character log group was accepted and the run
failed on the evidence contract; a window near year 1 was a 500.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.actions import ActionFlags
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.inline import run_inline
from tests.integration.api_support import api_fixtures, auth, event_body

pytestmark = pytest.mark.integration

names, deps, client = api_fixtures("api-accept-")


def _text(alphabet: str, longest: int) -> Any:
    return st.one_of(
        st.text(alphabet, min_size=1, max_size=12), st.text(alphabet, min_size=longest - 3, max_size=longest)
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    group=_text("abcXYZ019._-/#", 512),
    namespace=_text("abcXYZ019/", 255),
    metric=_text("abcXYZ019", 255),
    dim_value=_text("abcXYZ019-:", 1024),
    days_ago=st.one_of(st.integers(0, 3), st.integers(365, 9000)),
)
def test_every_accepted_request_yields_a_packet(
    client: TestClient,
    deps: PipelineDeps,
    group: str,
    namespace: str,
    metric: str,
    dim_value: str,
    days_ago: int,
) -> None:
    end = (datetime.now(UTC) - timedelta(days=days_ago, minutes=1)).replace(microsecond=0)
    body = event_body(
        event_id=f"prop-{uuid.uuid4().hex[:16]}",
        time_window={"start": (end - timedelta(minutes=30)).isoformat(), "end": end.isoformat()},
        hints={
            "log_groups": [group],
            "metrics": [{"namespace": namespace, "metric": metric, "dimensions": {"Resource": dim_value}}],
        },
    )
    response = client.post("/v1/incidents", json=body, headers=auth())
    assert response.status_code in (202, 422), response.text
    if response.status_code == 422:
        return
    event = IncidentEventV1.model_validate(body)
    run = run_inline(deps, event, ActionFlags())
    assert run.packet.incident_id == response.json()["incident_id"]


@pytest.mark.parametrize("year", [1, 1999])
def test_a_window_near_year_one_is_422_not_500(client: TestClient, year: int) -> None:
    start = datetime(year, 1, 2, tzinfo=UTC)
    body = event_body(
        time_window={"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    )
    response = client.post("/v1/incidents", json=body, headers=auth())
    assert response.status_code == 422 and "time_window" in response.json()["error"]["message"]
