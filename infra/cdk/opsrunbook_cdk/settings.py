"""What the stacks take from the project's code: table names, the queued tables, SSM settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Fn

from opsrunbook_dagster.aws.names import ACTION_SETTINGS, SECRET_SETTINGS, ResourceNames

#: Non-secret action settings: (path under SsmPrefix, CloudFormation parameter name).
STRING_SETTINGS: tuple[tuple[str, str], ...] = tuple(
    (path, "".join(p.capitalize() for p in path.replace("/", "_").split("_")))
    for field, (_, path) in sorted(ACTION_SETTINGS.items())
    if field not in SECRET_SETTINGS
)
#: Secrets under SsmPrefix: SecureString, put with ``aws ssm put-parameter`` (docs/deploy.md).
SECURE_SETTINGS: tuple[str, ...] = (
    "api/keys",
    "github/webhook_secret",
    *sorted(ACTION_SETTINGS[field][1] for field in SECRET_SETTINGS),
)


@dataclass(frozen=True)
class StorageNames:
    """Physical table names: ``NamePrefix`` + the default name the code uses (``ResourceNames``)."""

    prefix: str
    defaults: ResourceNames = field(default_factory=ResourceNames)

    @property
    def tables(self) -> tuple[str, ...]:
        return self.defaults.tables

    @property
    def queued(self) -> frozenset[str]:
        """Tables drained by a sensor through the sparse pending index."""
        return frozenset({self.defaults.incident_requests_table, self.defaults.pr_review_requests_table})

    @property
    def request_tables(self) -> tuple[str, ...]:
        """Tables the API writes (intake, incident rows, webhook deliveries)."""
        d = self.defaults
        return (d.incident_requests_table, d.incidents_table, d.pr_review_requests_table)

    def table(self, default_name: str) -> str:
        return Fn.join("", [self.prefix, default_name])

    def table_arn(self, default_name: str) -> str:
        return Fn.sub(
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${P}" + default_name,
            {"P": self.prefix},
        )
