"""Which endpoints may receive credentials (deployment settings only)."""

from __future__ import annotations

import pytest

from opsrunbook_dagster.clients.config import EndpointPolicy

LOCAL = EndpointPolicy(allow_loopback_http=True)
STRICT = EndpointPolicy()
LISTED = EndpointPolicy(allowed_hosts=("acme.atlassian.net",))


@pytest.mark.parametrize(
    ("policy", "url", "ok"),
    [
        (STRICT, "https://acme.atlassian.net", True),
        (STRICT, "http://acme.atlassian.net", False),
        (STRICT, "http://127.0.0.1:8081", False),
        (LOCAL, "http://127.0.0.1:8081", True),
        (LOCAL, "http://localhost:8081", True),
        (LOCAL, "http://[::1]:8081", True),
        (LOCAL, "http://10.0.0.5:8081", False),
        (LOCAL, "http://127.0.0.1.evil.test", False),
        (STRICT, "https://user:pw@acme.atlassian.net", False),
        (STRICT, "ftp://acme.atlassian.net", False),
        (STRICT, "acme.atlassian.net", False),
        (LISTED, "https://acme.atlassian.net/", True),
        (LISTED, "https://ACME.atlassian.net", True),
        (LISTED, "https://evil.atlassian.net", False),
    ],
)
def test_endpoint_policy(policy: EndpointPolicy, url: str, ok: bool) -> None:
    assert (policy.problem(url, "endpoint") is None) is ok


def test_policy_from_the_environment() -> None:
    policy = EndpointPolicy.from_env(
        {"OPSRUNBOOK_ALLOW_LOOPBACK_HTTP": "TRUE", "OPSRUNBOOK_ACTION_HOSTS": "b.example, a.example"}
    )
    assert policy == EndpointPolicy(allow_loopback_http=True, allowed_hosts=("a.example", "b.example"))
    assert EndpointPolicy.from_env({}) == STRICT


def test_run_config_cannot_move_a_deployment_to_other_tables_bucket_or_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another table prefix would be a fresh action ledger (a second ticket): a deployment's run
    config may not change tables, bucket or region; a loopback sandbox with the local flag may."""
    from opsrunbook_dagster.defs.resources import OpsRunbookAws

    for name in ("AWS_ENDPOINT_URL", "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP", "OPSRUNBOOK_TABLE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSRUNBOOK_EVIDENCE_BUCKET", "prod-evidence")
    for hostile in (
        {"table_prefix": "fresh-"},
        {"evidence_bucket": "elsewhere"},
        {"region_name": "eu-west-1"},
    ):
        with pytest.raises(ValueError, match="may only differ from the deployment"):
            OpsRunbookAws(**hostile).names()
    assert OpsRunbookAws(evidence_bucket="prod-evidence").names().evidence_bucket == "prod-evidence"
    monkeypatch.setenv("OPSRUNBOOK_ALLOW_LOOPBACK_HTTP", "true")
    local = OpsRunbookAws(endpoint_url="http://127.0.0.1:4566", table_prefix="t-")
    assert local.names().incidents_table == "t-incidents"
