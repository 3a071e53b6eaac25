"""Property-based fuzzing of the OpenAPI document (schemathesis): no 500s, responses match the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opsrunbook_api.core.config import Settings
from opsrunbook_api.main import create_app
from opsrunbook_api.services.context import ApiContext
from opsrunbook_dagster.aws.clients import AwsTarget
from tests.conftest import isolated
from tests.integration.api_support import KEYS, auth, settings_for

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is a dev extra: pip install -e '.[dev]'"
)
hypothesis = pytest.importorskip("hypothesis")

pytestmark = pytest.mark.integration

# The OpenAPI document does not depend on AWS, so the app (and its schema) exist at collection
# time; the fixture below points the app at isolated tables on the moto server before any call.
APP = create_app(Settings(_env_file=None, api_keys=KEYS[0]))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _point_at_the_sandbox(aws: AwsTarget) -> Iterator[None]:
    APP.state.context = ApiContext(settings_for(aws, isolated(aws, "api-fuzz-")))
    yield


@schema.parametrize()
@hypothesis.settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case: Any) -> None:
    # Excluded: "schema-valid data must be accepted". The contracts have rules JSON Schema cannot
    # state (at least one hint, end after start, window <= 7 days and not in the future), so
    # schema-valid bodies are rightly rejected with 422 naming the rule.
    case.call_and_validate(headers=auth(), excluded_checks=[schemathesis.checks.positive_data_acceptance])
