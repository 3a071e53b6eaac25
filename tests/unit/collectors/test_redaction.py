"""Secret redaction: every rule redacts and counts; ordinary log text survives."""

from __future__ import annotations

from collections import Counter

import pytest

from opsrunbook_dagster.collectors.budgets import truncate_text
from opsrunbook_dagster.collectors.redaction import redact_text, redact_tree

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM_BODY = (
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u"
)
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n{PEM_BODY[::-1]}\n-----END RSA PRIVATE KEY-----"


def redact(text: str) -> tuple[str, Counter[str]]:
    hits: Counter[str] = Counter()
    return redact_text(text, hits), hits


@pytest.mark.parametrize(
    ("text", "secret", "rule", "expected"),
    [
        (
            "calling upstream with Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "bearer_token",
            "calling upstream with Authorization: Bearer [REDACTED:bearer_token]",
        ),
        (
            "header authorization=bearer abc.DEF_ghi-jkl~mno+pqr/stu==",
            "abc.DEF_ghi-jkl~mno+pqr/stu",
            "bearer_token",
            "header authorization=bearer [REDACTED:bearer_token]",
        ),
        (f"session token {JWT} rejected", JWT, "jwt", "session token [REDACTED:jwt] rejected"),
        (
            "using credentials AKIAIOSFODNN7EXAMPLE for s3",
            "AKIAIOSFODNN7EXAMPLE",
            "aws_access_key",
            "using credentials [REDACTED:aws_access_key] for s3",
        ),
        (
            "temporary ASIAY34FZKBOKMUTVV7A expired",
            "ASIAY34FZKBOKMUTVV7A",
            "aws_access_key",
            "temporary [REDACTED:aws_access_key] expired",
        ),
        (
            f"aws_secret_access_key={SECRET_KEY}",
            SECRET_KEY,
            "aws_secret_key",
            "aws_secret_access_key=[REDACTED:aws_secret_key]",
        ),
        (
            f'{{"AccessKeyId":"x","SecretAccessKey": "{SECRET_KEY}"}}',
            SECRET_KEY,
            "aws_secret_key",
            '{"AccessKeyId":"x","SecretAccessKey": "[REDACTED:aws_secret_key]"}',
        ),
        (
            "login failed: password=hunter2&user=bob",
            "hunter2",
            "password",
            "login failed: password=[REDACTED:password]&user=bob",
        ),
        (
            '{"user":"bob","password":"hunter2","ok":false}',
            "hunter2",
            "password",
            '{"user":"bob","password":"[REDACTED:password]","ok":false}',
        ),
        ('{"password": "hunter2"}', "hunter2", "password", '{"password": "[REDACTED:password]"}'),
        ("api_key: sk_live_51HxYz", "sk_live_51HxYz", "password", "api_key: [REDACTED:password]"),
        (
            "connecting to postgres://app_user:s3cr3t-Pa55@db.internal:5432/orders",
            "s3cr3t-Pa55",
            "connection_string",
            "connecting to postgres://app_user:[REDACTED:connection_string]@db.internal:5432/orders",
        ),
        (
            "MONGO_URL=mongodb+srv://app:pw123456@cluster0.mongodb.net/db",
            "pw123456",
            "connection_string",
            "MONGO_URL=mongodb+srv://app:[REDACTED:connection_string]@cluster0.mongodb.net/db",
        ),
        (f"loaded key\n{PEM}\ndone", PEM_BODY, "private_key", "loaded key\n[REDACTED:private_key]\ndone"),
    ],
)
def test_rule_redacts_and_counts(text: str, secret: str, rule: str, expected: str) -> None:
    out, hits = redact(text)
    assert out == expected
    assert secret not in out
    assert hits == Counter({rule: 1})


def test_private_key_variants_and_missing_end_marker() -> None:
    pkcs8 = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"
    openssh = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----"
    for block in (pkcs8, openssh):
        out, hits = redact(f"key: {block} tail")
        assert out == "key: [REDACTED:private_key] tail" and hits["private_key"] == 1
    # A line cut at its byte budget loses the END marker; the key body must still go.
    big = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join([PEM_BODY] * 60) + "\n-----END RSA PRIVATE KEY-----"
    line, cut = truncate_text("config dump " + big, 4096)
    assert cut and "-----END" not in line
    out, hits = redact(line)
    assert PEM_BODY[:40] not in out
    assert out.startswith("config dump [REDACTED:private_key]")
    assert hits["private_key"] >= 1


def test_counts_accumulate_per_rule_across_calls() -> None:
    hits: Counter[str] = Counter()
    redact_text("password=aaa111 and pwd=bbb222 and Bearer 0123456789abcdef", hits)
    redact_text("secret: ccc333", hits)
    assert hits == Counter({"password": 3, "bearer_token": 1})


def test_every_rule_at_once_in_one_line() -> None:
    line = (
        f"Bearer 0123456789abcdef0123 {JWT} AKIAIOSFODNN7EXAMPLE aws_secret_access_key={SECRET_KEY} "
        f"password=hunter2 redis://u:p4ssw0rd@cache:6379 {PEM}"
    )
    out, hits = redact(line)
    for secret in ("0123456789abcdef0123", JWT, "AKIAIOSFODNN7EXAMPLE", SECRET_KEY, "hunter2", "p4ssw0rd"):
        assert secret not in out
    assert PEM_BODY not in out
    assert set(hits) == {
        "bearer_token",
        "jwt",
        "aws_access_key",
        "aws_secret_key",
        "password",
        "connection_string",
        "private_key",
    }
    assert sum(hits.values()) == 7


def test_already_redacted_text_is_stable() -> None:
    once, _ = redact(f"password={SECRET_KEY} aws_secret_access_key={SECRET_KEY} Bearer abcdefghijkl")
    twice, hits = redact(once)
    assert twice == once
    assert hits["password"] == 0 and hits["aws_secret_key"] == 0


@pytest.mark.parametrize(
    "text",
    [
        "password reset email sent to user 42",
        "User requested a password reset; the token was mailed",
        "secret rotation finished for 3 secrets",
        "START RequestId: 3f1c0a2e-1b2c-4d5e-8f90-123456789abc Version: $LATEST",
        "REPORT RequestId: 3f1c0a2e-1b2c-4d5e-8f90-123456789abc\tDuration: 3000.00 ms\tMemory Size: 512 MB",
        "arn:aws:lambda:us-east-1:123456789012:function:payment-gateway:$LATEST",
        "arn:aws:states:us-east-1:123456789012:stateMachine:order-fulfillment",
        "arn:aws:iam::123456789012:role/opsrunbook-sandbox-states",
        "x-amzn-RequestId: 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "https://example.com:8443/orders?id=17",
        "redis://cache.internal:6379/0",
        "ERROR token expired for session 8c6a0e5f",
        "Missing Bearer token",
        '{"level":"INFO","message":"charge authorized","amount_cents":4200}',
        "Task timed out after 3.00 seconds",
        "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    out, hits = redact(text)
    assert out == text
    assert sum(hits.values()) == 0


@pytest.mark.parametrize(
    "text",
    [
        # Secrets Manager ARNs (e.g. in AccessDenied messages) lose the secret's name.
        "not authorized to perform secretsmanager:GetSecretValue on "
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/payments/db-AbCdEf",
        # "Bearer undefined" is a classic client bug signal, not a token.
        "Authorization: Bearer undefined",
    ],
)
def test_harmless_text_is_not_redacted(text: str) -> None:
    out, _ = redact(text)
    assert out == text


def test_redact_tree_walks_lists_and_dicts_but_not_keys() -> None:
    doc = {
        "password": "plain value under a suspicious key",
        "rows": [
            {"message": "password=hunter2", "timestamp": "2026-11-26T12:00:00Z", "n": 3},
            {"message": ["nested", "Bearer 0123456789abcdef"], "ok": True, "none": None},
        ],
        "count": 1.5,
    }
    hits: Counter[str] = Counter()
    out = redact_tree(doc, hits)
    assert out == {
        "password": "plain value under a suspicious key",
        "rows": [
            {"message": "password=[REDACTED:password]", "timestamp": "2026-11-26T12:00:00Z", "n": 3},
            {"message": ["nested", "Bearer [REDACTED:bearer_token]"], "ok": True, "none": None},
        ],
        "count": 1.5,
    }
    assert hits == Counter({"password": 1, "bearer_token": 1})
    assert doc["rows"][0]["message"] == "password=hunter2", "the input is not mutated"
