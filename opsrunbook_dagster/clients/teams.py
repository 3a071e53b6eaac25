"""Microsoft Teams Workflows webhook client. The webhook URL carries its own signature, so the
URL itself is the secret: it is never logged or recorded (errors name it ``teams-webhook``)."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.clients.http import AfterWrite, HttpClient, Pacing, RetryPolicy
from opsrunbook_dagster.clients.secrets import Secret


class TeamsClient:
    def __init__(
        self,
        webhook_url: Secret,
        policy: RetryPolicy | None = None,
        after_write: AfterWrite | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self._url = webhook_url
        self.http = HttpClient(
            webhook_url.reveal(), "teams-webhook", policy, after_write=after_write, pacing=pacing
        )

    def post(self, message: dict[str, Any]) -> int:
        """Send one message (not retried after a read error or a 500: it may have been posted)."""
        response = self.http.request("POST", self._url.reveal(), json=message, safe=False)
        return response.status_code
