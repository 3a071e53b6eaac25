"""Where the action clients' endpoints and secrets come from: explicit settings, else the
environment, else SSM (one ``GetParameters`` call). Secrets become ``Secret`` objects at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsrunbook_dagster.aws.names import ACTION_SETTINGS, DEFAULT_SSM_PREFIX, SECRET_SETTINGS
from opsrunbook_dagster.clients.github_app import GitHubAppConfig
from opsrunbook_dagster.clients.jira import JiraConfig
from opsrunbook_dagster.clients.secrets import Secret

#: The sandbox seeds placeholders, and the storage stack creates String settings as REPLACE_ME
#: until an operator sets them; both count as "not configured".
PLACEHOLDER_PREFIX = "placeholder"
STACK_PLACEHOLDER = "replace_me"


@dataclass(frozen=True)
class ActionConfig:
    values: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict, repr=False)
    #: field → ``setting`` | ``env:NAME`` | ``ssm:/name`` (never the value)
    origins: dict[str, str] = field(default_factory=dict)
    prefix: str = DEFAULT_SSM_PREFIX

    def _missing(self, *names: str) -> str | None:
        absent = [n for n in names if n not in self.values and n not in self.secrets]
        if not absent:
            return None
        where = ", ".join(
            f"{ACTION_SETTINGS[n][0]} or SSM {self.prefix}/{ACTION_SETTINGS[n][1]}" for n in absent
        )
        return f"not configured: {where}"

    def jira(self) -> JiraConfig | str:
        missing = self._missing("jira_base_url", "jira_email", "jira_api_token")
        if missing:
            return f"Jira {missing}"
        return JiraConfig(
            base_url=self.values["jira_base_url"],
            email=self.values["jira_email"],
            api_token=self.secrets["jira_api_token"],
            project_key=self.values.get("jira_project_key", "OPS"),
            issue_type=self.values.get("jira_issue_type", "Incident"),
        )

    def teams_url(self) -> Secret | str:
        missing = self._missing("teams_webhook_url")
        return f"Teams {missing}" if missing else self.secrets["teams_webhook_url"]

    def github(self) -> GitHubAppConfig | str:
        missing = self._missing("github_app_id", "github_private_key_b64")
        if missing:
            return f"GitHub App {missing}"
        return GitHubAppConfig(
            app_id=self.values["github_app_id"],
            private_key_b64=self.secrets["github_private_key_b64"],
            api_url=self.values.get("github_api_url", "https://api.github.com"),
            installation_id=self.values.get("github_installation_id"),
        )

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def secret(self, name: str) -> Secret | None:
        return self.secrets.get(name)

    def describe(self) -> dict[str, str]:
        """Where each setting came from — safe to log or show."""
        return dict(sorted(self.origins.items()))


def _ssm_values(ssm: Any, prefix: str, names: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if ssm is None or not names:
        return found
    full = {f"{prefix}/{ACTION_SETTINGS[n][1]}": n for n in names}
    paths = sorted(full)
    for start in range(0, len(paths), 10):
        response = ssm.get_parameters(Names=paths[start : start + 10], WithDecryption=True)
        for parameter in response.get("Parameters", []):
            found[full[parameter["Name"]]] = str(parameter["Value"])
    return found


def load_action_config(
    environ: Mapping[str, str] | None = None,
    ssm: Any = None,
    prefix: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> ActionConfig:
    """Settings given in ``overrides`` win, then the environment, then SSM under ``prefix``."""
    env = os.environ if environ is None else environ
    prefix = (prefix or env.get("OPSRUNBOOK_SSM_PREFIX") or DEFAULT_SSM_PREFIX).rstrip("/")
    raw: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, (variable, _) in ACTION_SETTINGS.items():
        given = (overrides or {}).get(name)
        if given:
            raw[name], origins[name] = given, "setting"
        elif env.get(variable):
            raw[name], origins[name] = env[variable], f"env:{variable}"
    from_ssm = _ssm_values(ssm, prefix, [n for n in ACTION_SETTINGS if n not in raw])
    for name, value in from_ssm.items():
        raw[name], origins[name] = value, f"ssm:{prefix}/{ACTION_SETTINGS[name][1]}"
    values: dict[str, str] = {}
    secrets: dict[str, Secret] = {}
    for name, value in raw.items():
        value = value.strip()
        if not value or value.lower().startswith(PLACEHOLDER_PREFIX) or value.lower() == STACK_PLACEHOLDER:
            origins[name] += " (placeholder: ignored)"
            continue
        if name in SECRET_SETTINGS:
            secrets[name] = Secret(value)
        else:
            values[name] = value
    return ActionConfig(values=values, secrets=secrets, origins=origins, prefix=prefix)
