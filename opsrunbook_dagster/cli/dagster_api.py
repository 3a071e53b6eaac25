"""Talk to a running Dagster webserver through its GraphQL API (backfills, run lookups)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { stepKey }
    ... on RunConflict { message }
  }
}
"""
BACKFILL_STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status }
    ... on PythonError { message }
    ... on BackfillNotFoundError { message }
  }
}
"""
RUNS_BY_TAG = """
query Runs($key: String!, $value: String!, $limit: Int) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}, limit: $limit) {
    __typename
    ... on Runs { results { runId status } }
  }
}
"""
TERMINAL_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "FAILING"}


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

    def launch_asset_backfill(
        self, partitions: list[str], assets: list[str], tags: dict[str, str], title: str
    ) -> str:
        params = {
            "partitionNames": partitions,
            "assetSelection": [{"path": [a]} for a in assets],
            "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
            "title": title,
        }
        result = self._call(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise DagsterApiError(f"{result['__typename']}: {result.get('message', result)}")
        return str(result["backfillId"])

    def wait_for_backfill(self, backfill_id: str, timeout: float = 300.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            result = self._call(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
            status = str(result.get("status", result["__typename"]))
            if status in TERMINAL_BACKFILL or result["__typename"] != "PartitionBackfill":
                return status
            if time.monotonic() > deadline:
                raise DagsterApiError(f"backfill {backfill_id} still {status} after {timeout}s")
            time.sleep(0.5)

    def runs_for_key(self, run_key: str, limit: int = 10) -> list[dict[str, str]]:
        variables = {"key": "dagster/run_key", "value": run_key, "limit": limit}
        result = self._call(RUNS_BY_TAG, variables)["runsOrError"]
        return [dict(r) for r in result.get("results") or []]

    def run_for_key(self, run_key: str) -> dict[str, str] | None:
        runs = self.runs_for_key(run_key, limit=1)
        return runs[0] if runs else None
