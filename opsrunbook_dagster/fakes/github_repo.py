"""State of a repository in the GitHub fake, git blob shas, and GitHub App keys for tests."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(content) + content).hexdigest()


@dataclass
class FakeRepo:
    full_name: str
    id: int
    installation_id: int
    default_branch: str = "main"
    branches: dict[str, str] = field(default_factory=dict)
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)


def generate_app_key() -> tuple[rsa.RSAPrivateKey, str]:
    """A fresh RSA key and its PEM, base64-encoded (the form the SSM parameter holds)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key, base64.b64encode(pem).decode("ascii")
