"""Everything an on-call engineer reads about one run of an incident, gathered from the stores:
the META and RUN rows, the packet (with the evidence excerpts its top findings cite, read from the
stored, redacted evidence), the action results named by ``ACTIONS#LATEST`` and the links to the
Dagster run, the ticket, the card and the pull request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jsonpointer

from contracts.packet import Finding, IncidentPacketV1
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import packet_key, results_key
from opsrunbook_dagster.stores.objects import ObjectMissing

#: Findings whose evidence is quoted, and excerpts per finding.
TOP_FINDINGS = 5
EXCERPTS_PER_FINDING = 2
MAX_EXCERPT_CHARS = 240


class IncidentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class IncidentView:
    incident_id: str
    run_id: str
    meta: dict[str, Any]
    run: dict[str, Any] | None
    packet: IncidentPacketV1 | None
    #: finding id -> quoted evidence (one line each), for the top findings
    excerpts: dict[str, list[str]] = field(default_factory=dict)
    results_key: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    #: (label, url): the Dagster run, then each external object the actions created or found
    links: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "run_id": self.run_id,
            "status": (self.run or self.meta).get("status"),
            "meta": self.meta,
            "packet": self.packet.model_dump(mode="json") if self.packet else None,
            "excerpts": self.excerpts,
            "results_key": self.results_key,
            "results": self.results,
            "links": [{"label": label, "url": url} for label, url in self.links],
        }


def _one_line(value: Any) -> str:
    if isinstance(value, dict) and "message" in value:
        stamp, message = str(value.get("timestamp") or ""), str(value["message"])
        # most log lines carry their own time; prefix the row's only when the line has none
        text = message if not stamp or stamp[:19] in message else f"{stamp} {message}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_EXCERPT_CHARS else text[: MAX_EXCERPT_CHARS - 1] + "…"


def _excerpts(deps: PipelineDeps, findings: list[Finding]) -> dict[str, list[str]]:
    documents: dict[str, Any] = {}
    quoted: dict[str, list[str]] = {}
    for finding in findings[:TOP_FINDINGS]:
        lines = []
        for ref in finding.evidence_refs[:EXCERPTS_PER_FINDING]:
            if ref.s3_key not in documents:
                try:
                    documents[ref.s3_key] = deps.objects.get_json(ref.s3_key, ref.sha256)
                except ObjectMissing:
                    documents[ref.s3_key] = None
            try:
                value = jsonpointer.resolve_pointer(documents[ref.s3_key], ref.pointer)
            except (jsonpointer.JsonPointerException, TypeError):
                continue
            lines.append(_one_line(value))
        quoted[finding.id] = lines
    return quoted


def _results(deps: PipelineDeps, incident_id: str, run_id: str) -> tuple[str | None, list[dict[str, Any]]]:
    latest = deps.incidents.actions_latest(incident_id)
    named = latest.get("results_key") if latest and latest.get("run_id") == run_id else None
    key = str(named or results_key(incident_id, run_id))
    try:
        results = deps.objects.get_json(key)
    except ObjectMissing:
        return None, []
    return key, [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def _links(
    dagster_url: str | None, run: dict[str, Any] | None, results: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    links = []
    dagster_run_id = (run or {}).get("dagster_run_id")
    if dagster_url and dagster_run_id:
        links.append(("Dagster run", f"{dagster_url.rstrip('/')}/runs/{dagster_run_id}"))
    labels = {"jira": "Jira ticket", "github": "Pull request", "teams": "Teams card"}
    for result in results:
        ref = result.get("external_ref") or {}
        if ref.get("url"):
            name = labels.get(str(ref.get("system")), str(ref.get("system")))
            links.append((f"{name} {ref.get('key') or ''}".strip(), str(ref["url"])))
    return links


def load_view(
    deps: PipelineDeps, incident_id: str, run_id: str | None = None, dagster_url: str | None = None
) -> IncidentView:
    """The view of ``run_id`` (default: the incident's latest run); IncidentNotFound when unknown."""
    meta = deps.incidents.meta(incident_id)
    if meta is None:
        raise IncidentNotFound(f"incident {incident_id} not found")
    run_id = run_id or str(meta.get("latest_run_id") or "")
    run = deps.incidents.run(incident_id, run_id) if run_id else None
    if run is None:
        raise IncidentNotFound(f"run {run_id or '(none)'} of incident {incident_id} not found")
    try:
        packet = deps.objects.get_model(packet_key(incident_id, run_id), IncidentPacketV1)
    except ObjectMissing:
        packet = None
    key, results = _results(deps, incident_id, run_id)
    return IncidentView(
        incident_id=incident_id,
        run_id=run_id,
        meta=meta,
        run=run,
        packet=packet,
        excerpts=_excerpts(deps, packet.findings) if packet else {},
        results_key=key,
        results=results,
        links=_links(dagster_url, run, results),
    )
