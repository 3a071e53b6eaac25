"""The storage stack: every table the code uses with its keys and sparse index, the bucket's
protections, String-only settings and data-plane policies scoped to the stack's resources."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.stores.incident_listing import INCIDENT_LIST_INDEX
from opsrunbook_dagster.stores.queue import PENDING_INDEX
from tests.infra.conftest import assertions
from tests.infra.support import DATA_PLANE_PREFIXES, as_list, resources, statements, text

STACK = "OpsRunbookStorage"


def _tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Default table name → properties (TableName is NamePrefix + the default name)."""
    found = {}
    for resource in resources(template, "AWS::DynamoDB::Table").values():
        props = resource["Properties"]
        joined = props["TableName"]["Fn::Join"][1]
        assert joined[0] == {"Ref": "NamePrefix"}
        found[joined[1]] = props
    return found


def test_every_table_the_code_uses_with_keys_gsi_and_protection(templates: dict[str, Any]) -> None:
    tables = _tables(templates[STACK])
    names = ResourceNames()
    assert set(tables) == set(names.tables)
    for name, props in tables.items():
        assert props["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["DeletionProtectionEnabled"] is True
        assert props["SSESpecification"] == {"SSEEnabled": True}
        indexes = props.get("GlobalSecondaryIndexes", [])
        if name in (names.incident_requests_table, names.pr_review_requests_table):
            assert indexes == [
                {
                    "IndexName": PENDING_INDEX,
                    "KeySchema": [
                        {"AttributeName": "queue", "KeyType": "HASH"},
                        {"AttributeName": "created_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        elif name == names.incidents_table:
            # the incident list (GET /v1/incidents): exactly the index the store queries
            assert indexes == [INCIDENT_LIST_INDEX]
        else:
            assert indexes == []


def test_bucket_versioned_encrypted_private_tls_only_with_replay_lifecycle(
    synthesized: dict[str, Any],
) -> None:
    template = assertions(synthesized, STACK)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": {"Ref": "EvidenceBucketName"},
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        },
    )
    bucket = next(iter(resources(synthesized["templates"][STACK], "AWS::S3::Bucket").values()))
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert (
        rules["expire-replay-diffs"]["Prefix"] == "replays/"
        and rules["expire-replay-diffs"]["ExpirationInDays"] > 0
    )
    assert bucket["DeletionPolicy"] == "Retain"
    policy = next(iter(resources(synthesized["templates"][STACK], "AWS::S3::BucketPolicy").values()))
    deny = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_settings_are_string_placeholders_never_securestring(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    parameters = resources(template, "AWS::SSM::Parameter")
    assert len(parameters) >= 5
    for resource in parameters.values():
        props = resource["Properties"]
        assert props["Type"] == "String"
        assert resource["Condition"] == "CreateSettingsCondition"
        assert template["Parameters"][props["Value"]["Ref"]]["Default"] == "REPLACE_ME"
    # the sandbox finds each setting's value parameter through the template's Metadata
    mapping = template["Metadata"]["OpsRunbookSettings"]
    assert set(mapping) == {p["Properties"]["Value"]["Ref"] for p in parameters.values()}
    assert mapping["JiraBaseUrl"] == "jira/base_url"
    names = text([p["Properties"]["Name"] for p in parameters.values()])
    for secret in ("api/keys", "webhook_secret", "api_token", "private_key", "teams/webhook_url"):
        assert secret not in names


def test_managed_policies_scope_every_data_plane_action(templates: dict[str, Any]) -> None:
    template = templates[STACK]
    assert len(resources(template, "AWS::IAM::ManagedPolicy")) == 2
    seen = set()
    for _, statement in statements(template):
        actions = as_list(statement["Action"])
        seen.update(actions)
        if any(a.startswith(DATA_PLANE_PREFIXES) for a in actions):
            assert "*" not in as_list(statement["Resource"]), statement
    assert {"ssm:GetParameter", "dynamodb:PutItem", "dynamodb:Query", "s3:GetObject", "s3:PutObject"} <= seen
    assert "parameter${P}/*" in text(template["Resources"])
