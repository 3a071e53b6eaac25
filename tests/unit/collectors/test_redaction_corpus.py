"""Secret corpus: every form a secret takes in real logs is gone after redaction (0 leaks).

Each case is a line as it appears in CloudWatch Logs and the secret that must not survive.
The secrets are synthetic (random-looking, right shape and length), not real credentials.
"""

from __future__ import annotations

from collections import Counter

import pytest

from opsrunbook_dagster.collectors.redaction import redact_text

GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
PAT = "github_pat_11ABCDEFG0" + "x" * 12 + "_" + "Y7" * 30
XOXB = "xoxb-" + "1234567890-0987654321-" + "AbCdEfGhIjKlMnOpQrStUvWx"
XOXP = "xoxp-" + "1234567890-1234567890-1234567890-" + "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Y3kLm2"
SESSION = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD" + "Zk9" * 10
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
ATLASSIAN = "ATATT3xFfGF0" + "T5b_Qz-8hK2mNpR4sV7wY9aB3cD6eF1gH4jK7lM0nP2qR5tU8vW=" + "A1B2C3D4"
SIG = "Xk3v9%2BqP0sLmN7rT2wYzA4bC6dE8fG1hJ3kM5nQ7sU%3D"

CORPUS: list[tuple[str, str]] = [
    # env / key=value, names with prefixes (no word boundary after "_")
    ("DB_PASSWORD=Tr0ub4dor&3x", "Tr0ub4dor"),
    ("JIRA_API_TOKEN=ATBBq7Zk2mN9pL4xR8vT", "ATBBq7Zk2mN9pL4xR8vT"),
    ("GITHUB_WEBHOOK_SECRET=9f3b2c1d8e7a6f5b4c3d", "9f3b2c1d8e7a6f5b4c3d"),
    (f"AWS_SESSION_TOKEN={SESSION}", SESSION[:40]),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    ("export STRIPE_SECRET_KEY=abc123def456ghi789", "abc123def456ghi789"),
    ("token=5c1e9a7b3f2d4e6a8b0c", "5c1e9a7b3f2d4e6a8b0c"),
    ("password='hunter2'", "hunter2"),
    ('password="correct horse battery staple"', "horse battery"),
    ("REDIS_AUTH_KEY=rk-88d7f6e5c4b3a2", "rk-88d7f6e5c4b3a2"),
    ("client_secret=Zx8Qw2Er4Ty6Ui8Op0", "Zx8Qw2Er4Ty6Ui8Op0"),
    ("SMTP_PASS=mailpass77", "mailpass77"),
    ("passphrase = open sesame", "open"),
    ("db.password=s3cretpw", "s3cretpw"),
    ("refresh_token => 'r1f2e3s4h5t6o7k8'", "r1f2e3s4h5t6o7k8"),
    ("ENCRYPTION_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
    # JSON
    ('{"password": "hunter2"}', "hunter2"),
    ('{"db_password":"p@ss w0rd with spaces"}', "w0rd with"),
    ('{"access_token": "at-9a8b7c6d5e4f3a2b1c0d"}', "at-9a8b7c6d5e4f3a2b1c0d"),
    ('{"apiKey":"k_7f6e5d4c3b2a1908"}', "k_7f6e5d4c3b2a1908"),
    ('{"clientSecret": "cs-31415926535897"}', "cs-31415926535897"),
    ('{"credentials": "user:pa55word"}', "pa55word"),
    ('{"message":"login {\\"password\\":\\"nested-pw-123\\"}"}', "nested-pw-123"),
    ('{"headers":{"X-Api-Key":"xk-123456789abcdef"}}', "xk-123456789abcdef"),
    # Python repr
    ("{'password': 'hunter2', 'user': 'bob'}", "hunter2"),
    ("Config(api_key='sk-abc', host='x')", "sk-abc"),
    ("kwargs={'secret': \"it's a secret\"}", "a secret"),
    ("Settings(db_pwd='pw_xyz_987')", "pw_xyz_987"),
    # YAML
    ("access_token: 'a1b2c3d4e5f6g7h8'", "a1b2c3d4e5f6g7h8"),
    ("  password: hunter2", "hunter2"),
    ('  webhook_secret: "whs-9911-aa"', "whs-9911-aa"),
    ("privateKey: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    # headers
    ("Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    ("authorization=Basic YWRtaW46YWRtaW4xMjM=", "YWRtaW46YWRtaW4xMjM"),
    ("Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("Authorization: token ghs_shortbutsecret1234", "ghs_shortbutsecret1234"),
    ("X-Auth-Token: 77aa88bb99cc00dd", "77aa88bb99cc00dd"),
    ("Cookie: session=8f7e6d5c4b3a; csrftoken=abc", "8f7e6d5c4b3a"),
    ("Set-Cookie: sid=s%3Aq1w2e3r4t5; Path=/; HttpOnly", "q1w2e3r4t5"),
    ("Proxy-Authorization: Basic cHJveHk6cHJveHlwdw==", "cHJveHk6cHJveHlwdw"),
    # URLs with credentials or signed query strings
    ("GET https://user:pa55@api.example.com/v1", "pa55"),
    ("postgres://app:s3cr3t-Pa55@db.internal:5432/orders", "s3cr3t-Pa55"),
    ("mongodb+srv://app:pw123456@cluster0.mongodb.net/db", "pw123456"),
    ("amqp://guest:rabbitpw@mq:5672/", "rabbitpw"),
    ("redis://:redispass99@cache:6379/0", "redispass99"),
    (f"https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sig={SIG}", SIG),
    (
        f"https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual?api-version=2016&sp=run&sig={SIG}",
        SIG,
    ),
    (
        "https://bucket.s3.amazonaws.com/k?X-Amz-Credential=AKIA/2026&X-Amz-Signature=0a1b2c3d4e5f6a7b8c9d"
        "&X-Amz-Security-Token=FwoGZXIvYXdzEJr",
        "0a1b2c3d4e5f6a7b8c9d",
    ),
    ("https://api.example.com/cb?access_token=qwe123rty456&state=x", "qwe123rty456"),
    ("https://maps.example.com/x?key=AbCdEf123456&z=3", "AbCdEf123456"),
    (
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    (
        "https://contoso.webhook.office.com/webhookb2/1111-2222@3333/IncomingWebhook/abcdef0123456789/4444",
        "abcdef0123456789",
    ),
    # connection strings
    ("Server=db;Database=app;User Id=sa;Password=Sql$erver2026;", "Sql$erver2026"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
    ),
    (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=c2FzS2V5VmFsdWU=",
        "c2FzS2V5VmFsdWU",
    ),
    ("jdbc:mysql://db:3306/app?user=app&password=mysqlpw1", "mysqlpw1"),
    # PEM, JWT
    (f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----", PEM_BODY),
    (f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}", PEM_BODY),
    (f"-----BEGIN OPENSSH PRIVATE KEY-----\\n{PEM_BODY}\\n-----END OPENSSH PRIVATE KEY-----", PEM_BODY),
    (f"session {JWT} rejected", JWT),
    (f"id_token={JWT}", JWT),
    # cloud / SaaS token prefixes, bare in text
    ("using credentials AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
    ("role creds ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    (f"cloning with {GHP}", GHP),
    (f"pat {PAT} used", PAT),
    (f"slack client init {XOXB}", XOXB),
    (f"user token {XOXP}", XOXP),
    ("app-level xapp-1-A0123456789-1234567890123-abcdef0123456789", "abcdef0123456789"),
    (f"jira auth {ATLASSIAN}", ATLASSIAN[:30]),
    ("gitlab glpat-xYz123AbC456dEf789gH", "glpat-xYz123AbC456dEf789gH"),
    ("stripe sk_live_51HxYzAbCdEfGhIjKlMn", "sk_live_51HxYzAbCdEfGhIjKlMn"),
    ("google AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("npm npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("sendgrid SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "SG.abcdefghij"),
    ("openai sk-proj-Abc123Def456Ghi789Jkl012", "sk-proj-Abc123Def456Ghi789Jkl012"),
    ("vault hvs.CAESIJ1a2b3c4d5e6f7g8h9i0jKLMN", "hvs.CAESIJ1a2b3c4d5e6f7g8h9i0jKLMN"),
]


def test_the_corpus_is_large() -> None:
    assert len(CORPUS) >= 60


@pytest.mark.parametrize(("line", "secret"), CORPUS, ids=[f"{i:02d}" for i in range(len(CORPUS))])
def test_no_secret_survives(line: str, secret: str) -> None:
    assert secret in line
    out = redact_text(line, Counter())
    assert secret not in out, out
    assert "[REDACTED:" in out
