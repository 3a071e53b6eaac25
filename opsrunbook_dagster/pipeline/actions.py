"""Live-action wiring for the results stage: configuration, ledger and runner from the deps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.evidence import LogsEvidenceV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.factory import RuntimeOptions, build_runner, render_context
from opsrunbook_dagster.actions.ledger import ActionLedger
from opsrunbook_dagster.actions.render.http_bodies import RenderContext
from opsrunbook_dagster.actions.runner import ActionRunner
from opsrunbook_dagster.clients.config import ActionConfig, load_action_config
from opsrunbook_dagster.pipeline.deps import PipelineDeps

MAX_EVIDENCE_LINES = 200


@dataclass
class ActionsRuntime:
    """How live actions are built: settings that override the deployment's and SSM, the SSM prefix,
    and options. ``environ`` is the deployment's action settings by variable name
    (``OpsRunbookSettings.action_environment()``); empty: SSM only, https endpoints only."""

    overrides: Mapping[str, str | None] = field(default_factory=dict)
    ssm_prefix: str | None = None
    options: RuntimeOptions = field(default_factory=RuntimeOptions)
    environ: Mapping[str, str] = field(default_factory=dict)
    config: ActionConfig | None = None

    def load(self, deps: PipelineDeps) -> ActionConfig:
        if self.config is None:
            ssm = deps.client("ssm", max_attempts=3, read_timeout=10.0)
            self.config = load_action_config(self.environ, ssm, self.ssm_prefix, self.overrides)
        return self.config


def ledger(deps: PipelineDeps) -> ActionLedger:
    return ActionLedger(deps.client("dynamodb"), deps.names.incidents_table)


def live_runner(
    deps: PipelineDeps, runtime: ActionsRuntime, links: dict[str, str]
) -> tuple[ActionRunner, RenderContext]:
    config = runtime.load(deps)
    return build_runner(config, ledger(deps), runtime.options), render_context(config, links)


def evidence_lines(deps: PipelineDeps, packet: IncidentPacketV1) -> Callable[[], list[str]]:
    """Lazily: the log lines the actionable findings cite (then the rest), for stack frames."""

    def load() -> list[str]:
        keys = sorted({r.s3_key for f in packet.findings for r in f.evidence_refs if r.collector == "logs"})
        lines: list[str] = []
        for key in keys[:3]:
            evidence = deps.objects.get_model(key, LogsEvidenceV1)
            rows: list[Any] = list(evidence.rows)
            cited = {
                int(r.pointer.split("/")[2])
                for f in packet.findings
                for r in f.evidence_refs
                if r.s3_key == key and r.pointer.startswith("/rows/") and r.pointer.split("/")[2].isdigit()
            }
            ordered = [rows[i] for i in sorted(cited) if i < len(rows)] + rows
            lines += [str(row.message) for row in ordered[:MAX_EVIDENCE_LINES]]
        return lines[:MAX_EVIDENCE_LINES]

    return load
