"""Everything a pipeline stage needs: AWS target, resource names, budgets, and the stores built on them."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.collectors.budgets import Budgets
from opsrunbook_dagster.stores.deliveries import DeliveryStore
from opsrunbook_dagster.stores.heartbeats import HeartbeatStore
from opsrunbook_dagster.stores.incidents_table import IncidentStore
from opsrunbook_dagster.stores.objects import ObjectStore
from opsrunbook_dagster.stores.pr_pauses import PRPauseStore
from opsrunbook_dagster.stores.replays import ReplayStore
from opsrunbook_dagster.stores.requests_table import RequestStore


class _LazyClient:
    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._factory()
        return getattr(self._client, name)


@dataclass
class PipelineDeps:
    target: AwsTarget
    names: ResourceNames = field(default_factory=ResourceNames)
    budgets: Budgets = field(default_factory=Budgets)
    _clients: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str, **kwargs: Any) -> Any:
        """One boto3 client per (service, options), reused: clients are thread-safe and costly to build."""
        key = (service, tuple(sorted(kwargs.items())))
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.target.client(service, **kwargs)
            return self._clients[key]

    def lazy_client(self, service: str, **kwargs: Any) -> Any:
        """A stand-in that builds the client on first use (collectors with nothing to ask build none)."""
        return _LazyClient(lambda: self.client(service, **kwargs))

    @cached_property
    def objects(self) -> ObjectStore:
        return ObjectStore(self.client("s3"), self.names.evidence_bucket)

    def step_scope(self) -> PipelineDeps:
        """The same clients and stores, with an object store that remembers what one pipeline step
        writes and reads (``ObjectStore.memoized``): a stage's check reads back the stage's output,
        the next stage of the step its input, without another GET each."""
        scoped = copy.copy(self)
        scoped.__dict__["objects"] = self.objects.memoized()
        return scoped

    @cached_property
    def requests(self) -> RequestStore:
        return RequestStore(
            self.client("dynamodb"), self.names.incident_requests_table, self.names.incidents_table
        )

    @cached_property
    def heartbeats(self) -> HeartbeatStore:
        """The orchestrator's heartbeats (in the incident-requests table, read by API readiness)."""
        return HeartbeatStore(self.client("dynamodb"), self.names.incident_requests_table)

    @cached_property
    def replays(self) -> ReplayStore:
        return ReplayStore(
            self.client("dynamodb"), self.names.incident_requests_table, self.names.incidents_table
        )

    @cached_property
    def pr_reviews(self) -> DeliveryStore:
        """Queued GitHub review deliveries (same queue mechanics as incident requests)."""
        return DeliveryStore(
            self.client("dynamodb"), self.names.pr_review_requests_table, self.names.incidents_table
        )

    @cached_property
    def pr_pauses(self) -> PRPauseStore:
        """``/opsrunbook stop`` in force per pull request."""
        return PRPauseStore(self.client("dynamodb"), self.names.pr_review_requests_table)

    @cached_property
    def incidents(self) -> IncidentStore:
        return IncidentStore(
            self.client("dynamodb"),
            self.names.incidents_table,
            self.names.snapshots_table,
            self.names.packets_table,
        )
