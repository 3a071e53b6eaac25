"""Logs Insights in the sandbox holds the results of its most recent queries only (moto kept every
query's full result for the life of the server: the 30-minute soak's sandbox grew by gigabytes),
and answers an expired query as CloudWatch does, through the real boto3 client."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.sandbox.moto_logs import KEEP_QUERIES

pytestmark = pytest.mark.integration
GROUP = "/aws/lambda/query-retention-probe"


def test_only_the_most_recent_query_results_are_held(aws: AwsTarget) -> None:
    logs = aws.client("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    now_ms = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": now_ms - 1000 + i, "message": f"ERROR probe {i}"} for i in range(20)],
    )
    window = {"startTime": now_ms // 1000 - 60, "endTime": now_ms // 1000 + 60}
    ids = [
        logs.start_query(logGroupName=GROUP, queryString="fields @message | limit 5", **window)["queryId"]
        for _ in range(KEEP_QUERIES + 40)
    ]
    backend = logs_backends[DEFAULT_ACCOUNT_ID][aws.region]
    assert len(backend.queries) <= KEEP_QUERIES
    latest = logs.get_query_results(queryId=ids[-1])
    assert latest["status"] == "Complete" and len(latest["results"]) == 5
    with pytest.raises(ClientError) as expired:
        logs.get_query_results(queryId=ids[0])
    assert expired.value.response["Error"]["Code"] == "ResourceNotFoundException"
