"""Where the action clients' endpoints and secrets come from: the deployment's environment, else
SSM (one ``GetParameters`` call). Secrets become ``Secret`` objects at once.

Endpoints receive credentials, so they are checked before any client is built: ``https`` only
(plain ``http`` to a loopback address only when ``OPSRUNBOOK_ALLOW_LOOPBACK_HTTP=true``, which the
demo and the tests set), and, if ``OPSRUNBOOK_ACTION_HOSTS`` lists hosts, only those hosts."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from opsrunbook_dagster.aws.names import ACTION_SETTINGS, DEFAULT_SSM_PREFIX, SECRET_SETTINGS
from opsrunbook_dagster.clients.github_app import GitHubAppConfig
from opsrunbook_dagster.clients.jira import JiraConfig
from opsrunbook_dagster.clients.secrets import Secret

#: The sandbox seeds placeholders, and the storage stack creates String settings as REPLACE_ME
#: until an operator sets them; both count as "not configured".
PLACEHOLDER_PREFIX = "placeholder"
ALLOW_LOOPBACK_HTTP_ENV = "OPSRUNBOOK_ALLOW_LOOPBACK_HTTP"
ACTION_HOSTS_ENV = "OPSRUNBOOK_ACTION_HOSTS"
_TRUE = {"1", "true", "yes", "on"}


def is_loopback(url: str) -> bool:
    """``url`` is http(s) to localhost / 127.0.0.0/8 / ::1."""
    split = urlsplit(url)
    return split.scheme in ("http", "https") and _loopback((split.hostname or "").lower())


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class EndpointPolicy:
    """Which outbound endpoints may receive credentials (deployment settings only)."""

    allow_loopback_http: bool = False
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EndpointPolicy:
        hosts = (env.get(ACTION_HOSTS_ENV) or "").replace(",", " ").split()
        return cls(
            allow_loopback_http=(env.get(ALLOW_LOOPBACK_HTTP_ENV) or "").strip().lower() in _TRUE,
            allowed_hosts=tuple(sorted({h.lower() for h in hosts})),
        )

    def problem(self, url: str, what: str) -> str | None:
        """Why ``url`` may not be used (naming only its scheme and host), or None."""
        split = urlsplit(url)
        host = (split.hostname or "").lower()
        if not host or split.username or split.password:
            return f"{what} must be an https URL with a host (and no user info)"
        if split.scheme == "http" and _loopback(host):
            if not self.allow_loopback_http:
                return f"{what} is plain http to {host}: set {ALLOW_LOOPBACK_HTTP_ENV}=true (local/dev only)"
        elif split.scheme != "https":
            return f"{what} must be https, got {split.scheme or 'no scheme'}://{host}"
        if self.allowed_hosts and host not in self.allowed_hosts:
            return f"{what} host {host} is not in {ACTION_HOSTS_ENV}"
        return None


STACK_PLACEHOLDER = "replace_me"


@dataclass(frozen=True)
class ActionConfig:
    values: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict, repr=False)
    #: field → ``setting`` | ``env:NAME`` | ``ssm:/name`` (never the value)
    origins: dict[str, str] = field(default_factory=dict)
    prefix: str = DEFAULT_SSM_PREFIX
    endpoints: EndpointPolicy = field(default_factory=EndpointPolicy)

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
        refused = self.endpoints.problem(self.values["jira_base_url"], "Jira base URL")
        if refused:
            return f"Jira refused: {refused}"
        return JiraConfig(
            base_url=self.values["jira_base_url"],
            email=self.values["jira_email"],
            api_token=self.secrets["jira_api_token"],
            project_key=self.values.get("jira_project_key", "OPS"),
            issue_type=self.values.get("jira_issue_type", "Incident"),
        )

    def teams_url(self) -> Secret | str:
        missing = self._missing("teams_webhook_url")
        if missing:
            return f"Teams {missing}"
        refused = self.endpoints.problem(self.secrets["teams_webhook_url"].reveal(), "Teams webhook URL")
        return f"Teams refused: {refused}" if refused else self.secrets["teams_webhook_url"]

    def github(self) -> GitHubAppConfig | str:
        missing = self._missing("github_app_id", "github_private_key_b64")
        if missing:
            return f"GitHub App {missing}"
        api_url = self.values.get("github_api_url", "https://api.github.com")
        refused = self.endpoints.problem(api_url, "GitHub API URL")
        if refused:
            return f"GitHub App refused: {refused}"
        return GitHubAppConfig(
            app_id=self.values["github_app_id"],
            private_key_b64=self.secrets["github_private_key_b64"],
            api_url=api_url,
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
    environ: Mapping[str, str],
    ssm: Any = None,
    prefix: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> ActionConfig:
    """Settings given in ``overrides`` (code and tests, never run config) win, then ``environ``
    (the deployment's, by variable name: ``OpsRunbookSettings.action_environment()``), then SSM
    under ``prefix``."""
    env = environ
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
    return ActionConfig(
        values=values, secrets=secrets, origins=origins, prefix=prefix, endpoints=EndpointPolicy.from_env(env)
    )
