"""The burst's wait for results, against the sandbox's S3: every result is seen, and while most are
outstanding the listing is polled at the slow rate (the benchmark's own polling is not the product's)."""

from __future__ import annotations

import threading
import time

import pytest

from benchmarks.burst import variant, wait_results
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import results_key
from tests.conftest import isolated
from tests.factories import incident_event

pytestmark = pytest.mark.integration
PREFIX = "burstwait-"


def test_every_result_is_seen_with_few_listings_while_most_are_outstanding(aws: AwsTarget) -> None:
    deps = PipelineDeps(target=aws, names=isolated(aws, PREFIX))
    events = [variant(IncidentEventV1.model_validate(incident_event()), f"b{i}") for i in range(20)]
    listings: list[float] = []
    s3 = deps.client("s3")
    s3.meta.events.register("before-call.s3.ListObjectsV2", lambda **_: listings.append(time.monotonic()))

    def finish_all() -> None:
        for i, event in enumerate(events):
            time.sleep(2.0 if i == 0 else 0.02)
            s3.put_object(
                Bucket=deps.names.evidence_bucket,
                Key=results_key(event.resolved_incident_id, event.run_id),
                Body=b"{}",
            )

    writer = threading.Thread(target=finish_all)
    writer.start()
    done = wait_results(deps, events, timeout=30, poll=0.05, slow_poll=1.0)
    writer.join()
    assert set(done) == {e.event_id for e in events}
    before_first = [t for t in listings if t < min(done.values())]
    # ~2 s with all 20 outstanding: listings 1 s apart, not 0.05 s apart
    assert 1 <= len(before_first) <= 4
