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
