"""GitHub webhook signature verification (X-Hub-Signature-256), pure."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from opsrunbook_api.github.signature import sign, verify


def test_signature_matches_githubs_documented_example() -> None:
    # docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", body "Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(b"Hello, World!", "It's a Secret to Everybody") == expected
    assert verify(b"Hello, World!", expected, "It's a Secret to Everybody")


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "sha256=zz", "sha256=\u00e9\u00e9"],
)
def test_bad_signatures_fail(header: str | None) -> None:
    assert not verify(b"body", header, "secret")


def test_signature_depends_on_every_byte_and_the_secret() -> None:
    header = "sha256=" + hmac.new(b"secret", b"body", hashlib.sha256).hexdigest()
    assert verify(b"body", header, "secret")
    assert not verify(b"body ", header, "secret")
    assert not verify(b"body", header, "secret2")
    assert not verify(b"body", header, "")
