"""The sandbox's fault switch: chosen services answer errors (as AWS would) for a while, then recover."""

from __future__ import annotations

import time

import botocore.exceptions
import pytest
import requests

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.sandbox.faults import CONTROL_PATH
from opsrunbook_dagster.sandbox.server import SandboxServer

pytestmark = pytest.mark.integration


def test_faults_hit_only_the_chosen_services_and_clear_by_themselves(
    sandbox: SandboxServer, aws: AwsTarget
) -> None:
    s3, dynamodb, logs = (aws.client(s, max_attempts=1) for s in ("s3", "dynamodb", "logs"))
    switch = f"{sandbox.endpoint_url}{CONTROL_PATH}"
    state = requests.post(
        switch, json={"services": ["s3", "dynamodb"], "throttle": True, "seconds": 2}, timeout=5
    )
    assert state.json()["active"] is True
    try:
        with pytest.raises(botocore.exceptions.ClientError) as s3_error:
            s3.list_buckets()
        assert s3_error.value.response["Error"]["Code"] == "SlowDown"
        with pytest.raises(botocore.exceptions.ClientError) as ddb_error:
            dynamodb.list_tables()
        assert ddb_error.value.response["Error"]["Code"] == "ThrottlingException"
        logs.describe_log_groups()  # another service is untouched
        time.sleep(2.1)
        s3.list_buckets()  # the window is over
        requests.post(switch, json={"services": ["dynamodb"], "status": 500, "seconds": 60}, timeout=5)
        with pytest.raises(botocore.exceptions.ClientError) as server_error:
            dynamodb.list_tables()
        assert server_error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        cleared = requests.delete(switch, timeout=5).json()
    assert cleared["active"] is False and cleared["injected"] >= 3
    dynamodb.list_tables()
