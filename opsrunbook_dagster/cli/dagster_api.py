"""Talk to a running Dagster webserver through its GraphQL API (run lookups, readiness)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

RUNS_BY_TAG = """
query Runs($key: String!, $value: String!, $limit: Int) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}, limit: $limit) {
    __typename
    ... on Runs { results { runId status } }
  }
}
"""


class DagsterApiError(RuntimeError):
    pass


@dataclass
class DagsterApi:
    url: str = "http://127.0.0.1:3000"
    timeout: float = 30.0

    def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=self.timeout
        )
        response.raise_for_status()
        payload = response.json()
        if payload.get("errors"):
            raise DagsterApiError(payload["errors"][0].get("message", "GraphQL error"))
        return dict(payload["data"])

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/server_info", timeout=2).ok
        except requests.RequestException:
            return False

    def runs_for_key(self, run_key: str, limit: int = 10) -> list[dict[str, str]]:
        variables = {"key": "dagster/run_key", "value": run_key, "limit": limit}
        result = self._call(RUNS_BY_TAG, variables)["runsOrError"]
        return [dict(r) for r in result.get("results") or []]

    def run_for_key(self, run_key: str) -> dict[str, str] | None:
        runs = self.runs_for_key(run_key, limit=1)
        return runs[0] if runs else None
