"""Reads of what the pipeline stored in S3: snapshots, evidence, packets, plans and results."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contracts.evidence import COLLECTORS
from opsrunbook_api.schemas.artifacts import (
    ActionsLatestOut,
    ActionsOut,
    EvidenceItemOut,
    EvidenceOut,
    ListTruncation,
    RunResultsOut,
)
from opsrunbook_api.services.errors import CorruptObject, NotFound
from opsrunbook_api.services.incidents import IncidentService
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import chart_key, packet_key, plan_key, results_key, snapshot_key
from opsrunbook_dagster.stores.objects import IntegrityError, ObjectMissing
from opsrunbook_dagster.stores.table_keys import action_plan_sk, packet_sk, snapshot_sk

#: The potentially long lists of each evidence object, cut to ``limit`` in responses.
BOUNDED_LISTS: dict[str, tuple[str, ...]] = {
    "logs": ("rows",),
    "metrics": ("series",),
    "stepfn": ("executions",),
}


@dataclass(frozen=True)
class StoredDocument:
    """One stored JSON document, exactly as stored (so its sha256 is the body's sha256)."""

    incident_id: str
    run_id: str
    key: str
    sha256: str | None
    body: bytes


@dataclass
class ArtifactService:
    deps: PipelineDeps
    incidents: IncidentService

    def _get(self, key: str, expected_sha256: str | None = None) -> bytes | None:
        try:
            return self.deps.objects.get_bytes(key, expected_sha256)
        except ObjectMissing:
            return None
        except IntegrityError as exc:
            raise CorruptObject("a stored object does not match its recorded sha256", {"key": key}) from exc

    def _recorded_sha(self, incident_id: str, table: str, sk: str) -> str | None:
        row = self.deps.incidents.recorded_row(table, incident_id, sk)
        return str(row["sha256"]) if row and row.get("sha256") else None

    def _document(
        self, incident_id: str, run_id: str, key: str, table: str, sk: str
    ) -> StoredDocument | None:
        expected = self._recorded_sha(incident_id, table, sk)
        body = self._get(key, expected)
        return None if body is None else StoredDocument(incident_id, run_id, key, expected, body)

    def snapshot(self, incident_id: str, run_id: str) -> StoredDocument | None:
        names = self.deps.names
        return self._document(
            incident_id,
            run_id,
            snapshot_key(incident_id, run_id),
            names.snapshots_table,
            snapshot_sk(run_id),
        )

    def latest_snapshot(self, incident_id: str) -> StoredDocument:
        for run_id in self.incidents.run_ids_newest_first(incident_id):
            document = self.snapshot(incident_id, run_id)
            if document is not None:
                return document
        raise NotFound(f"incident {incident_id} has no evidence snapshot yet", {"incident_id": incident_id})

    def packet(self, incident_id: str, run_id: str) -> StoredDocument:
        self.incidents.meta(incident_id)
        document = self._packet(incident_id, run_id)
        if document is None:
            raise NotFound(
                f"run {run_id} of incident {incident_id} has no packet",
                {"incident_id": incident_id, "run_id": run_id},
            )
        return document

    def _packet(self, incident_id: str, run_id: str) -> StoredDocument | None:
        names = self.deps.names
        return self._document(
            incident_id, run_id, packet_key(incident_id, run_id), names.packets_table, packet_sk(run_id)
        )

    def latest_packet(self, incident_id: str) -> StoredDocument:
        for run_id in self.incidents.run_ids_newest_first(incident_id):
            document = self._packet(incident_id, run_id)
            if document is not None:
                return document
        raise NotFound(f"incident {incident_id} has no packet yet", {"incident_id": incident_id})

    def latest_chart(self, incident_id: str, finding_id: str) -> StoredDocument:
        """The chart of ``finding_id`` from the newest run that has one (PNG bytes as stored)."""
        self.incidents.meta(incident_id)
        for run_id in self.incidents.run_ids_newest_first(incident_id):
            key = chart_key(incident_id, run_id, finding_id)
            body = self._get(key)
            if body is not None:
                return StoredDocument(incident_id, run_id, key, None, body)
        raise NotFound(
            f"incident {incident_id} has no chart for finding {finding_id}",
            {"incident_id": incident_id, "finding_id": finding_id},
        )

    def evidence(self, incident_id: str, collector: str | None, limit: int) -> EvidenceOut:
        snapshot_doc = self.latest_snapshot(incident_id)
        manifest = json.loads(snapshot_doc.body)
        items = []
        for item in manifest.get("items", []):
            if collector is not None and item.get("collector") != collector:
                continue
            body = self._get(str(item["key"]), str(item["sha256"]))
            if body is None:
                raise CorruptObject(
                    "an evidence object named by the snapshot is missing", {"key": item["key"]}
                )
            evidence, cut = bound_lists(
                json.loads(body), BOUNDED_LISTS.get(str(item["collector"]), ()), limit
            )
            items.append(
                EvidenceItemOut(
                    collector=str(item["collector"]),
                    key=str(item["key"]),
                    sha256=str(item["sha256"]),
                    byte_size=int(item.get("byte_size", len(body))),
                    status=str(item.get("status", "")),
                    collector_truncated=bool(item.get("truncated", False)),
                    truncated_lists=cut,
                    evidence=evidence,
                )
            )
        items.sort(key=lambda i: COLLECTORS.index(i.collector) if i.collector in COLLECTORS else 99)
        return EvidenceOut(
            incident_id=incident_id,
            run_id=snapshot_doc.run_id,
            snapshot_key=snapshot_doc.key,
            limit=limit,
            collector=collector,
            truncated=any(i.truncated_lists for i in items),
            items=items,
        )

    def _plan(self, incident_id: str, run_id: str) -> StoredDocument | None:
        return self._document(
            incident_id,
            run_id,
            plan_key(incident_id, run_id),
            self.deps.names.incidents_table,
            action_plan_sk(run_id),
        )

    def latest_actions(self, incident_id: str) -> ActionsLatestOut:
        """The run named by ACTIONS#LATEST (the last executed plan), else the newest run with a plan."""
        self.incidents.meta(incident_id)
        latest = self.deps.incidents.actions_latest(incident_id)
        run_ids = [str(latest["run_id"])] if latest else self.incidents.run_ids_newest_first(incident_id)
        for run_id in run_ids:
            plan = self._plan(incident_id, run_id)
            if plan is None:
                continue
            r_key = str((latest or {}).get("results_key") or results_key(incident_id, run_id))
            results = self._get(r_key)
            return ActionsLatestOut(
                incident_id=incident_id,
                run_id=run_id,
                plan_key=plan.key,
                results_key=r_key if results is not None else None,
                plan=json.loads(plan.body),
                results=json.loads(results) if results is not None else None,
            )
        raise NotFound(f"incident {incident_id} has no action plan yet", {"incident_id": incident_id})

    def all_results(self, incident_id: str) -> ActionsOut:
        runs = []
        for run_id in self.incidents.run_ids_newest_first(incident_id):
            key = results_key(incident_id, run_id)
            body = self._get(key)
            if body is not None:
                runs.append(RunResultsOut(run_id=run_id, results_key=key, results=json.loads(body)))
        return ActionsOut(incident_id=incident_id, runs=runs)


def bound_lists(
    document: dict[str, Any], fields: tuple[str, ...], limit: int
) -> tuple[dict[str, Any], dict[str, ListTruncation]]:
    """``document`` with each list in ``fields`` cut to ``limit`` items, and what was cut."""
    cut: dict[str, ListTruncation] = {}
    for name in fields:
        values = document.get(name)
        if isinstance(values, list) and len(values) > limit:
            cut[name] = ListTruncation(total=len(values), returned=limit)
            document = {**document, name: values[:limit]}
    return document, cut
