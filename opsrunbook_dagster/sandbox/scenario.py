"""The scenario file format (YAML): a simulated incident plus the right answer.

See ``docs/scenarios.md`` for the format. Validation errors name the offending field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contracts.incident_event import IncidentHints

BUNDLED_PACKAGE = "opsrunbook_dagster.sandbox.scenarios"
#: Subfolder of the bundled scenarios holding the blind set (``blind: true``), scored separately.
BLIND_SUBDIR = "blind"
#: Moto, like CloudWatch, keeps nothing older than this.
MAX_AGE_MINUTES = 14 * 24 * 60


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class MinuteRange(_Strict):
    from_minute: float = Field(le=0)
    to_minute: float = Field(default=0, le=0)

    @model_validator(mode="after")
    def _ordered(self) -> MinuteRange:
        if self.to_minute < self.from_minute:
            raise ValueError("to_minute must not be before from_minute")
        if self.from_minute < -MAX_AGE_MINUTES:
            raise ValueError("from_minute is older than 14 days")
        return self


class LogSpec(MinuteRange):
    """Lines written with put_log_events every ``every_seconds`` in ``[from_minute, to_minute]``."""

    log_group: Annotated[str, StringConstraints(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$")]
    stream: str | None = None
    text: str | None = None
    lines: list[str] | None = Field(default=None, description="Several events per tick sharing one {uuid}.")
    every_seconds: float = Field(default=60, gt=0)
    jitter_seconds: float = Field(default=0, ge=0)
    probability: float = Field(default=1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _text_or_lines(self) -> LogSpec:
        if (self.text is None) == (self.lines is None):
            raise ValueError("give exactly one of text or lines")
        return self

    @property
    def templates(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.lines or [])


class Gaussian(_Strict):
    mean: float
    stddev: float = Field(default=0, ge=0)


class MetricChange(Gaussian):
    from_minute: float = Field(le=0)
    to_minute: float | None = Field(default=None, le=0)


class CsvAnchor(_Strict):
    at: str
    minute: float = Field(le=0)


class MetricSpec(MinuteRange):
    namespace: str
    metric: str
    dimensions: dict[str, str] = Field(default_factory=dict)
    unit: str = "None"
    period_seconds: int = Field(default=60, ge=1)
    from_minute: float = Field(default=-180, le=0)
    baseline: Gaussian | None = None
    changes: list[MetricChange] = Field(default_factory=list)
    csv: str | None = None
    csv_anchor: CsvAnchor | None = None
    min_value: float | None = 0

    @model_validator(mode="after")
    def _source(self) -> MetricSpec:
        if (self.baseline is None) == (self.csv is None):
            raise ValueError("give exactly one of baseline or csv")
        if self.csv is not None and self.csv_anchor is None:
            raise ValueError("csv_anchor is required with csv")
        return self


class ExecutionBatch(_Strict):
    count: int = Field(ge=1, le=200)
    input: dict[str, Any] = Field(default_factory=dict)


class StateMachineSpec(_Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,80}$")]
    definition: dict[str, Any]
    executions: list[ExecutionBatch] = Field(default_factory=list)

    @model_validator(mode="after")
    def _asl_shape(self) -> StateMachineSpec:
        if "StartAt" not in self.definition or "States" not in self.definition:
            raise ValueError("definition must be Amazon States Language with StartAt and States")
        return self


class IncidentSpec(_Strict):
    window_minutes: int = Field(ge=1, le=7 * 24 * 60)
    severity: Literal["info", "warning", "critical"] = "warning"
    title: str | None = None
    hints: IncidentHints


class RootCause(_Strict):
    kind: str
    resource: str | None = None
    contains: str | None = None

    @model_validator(mode="after")
    def _resource_unless_none(self) -> RootCause:
        if self.kind != "none" and not self.resource:
            raise ValueError("resource is required unless kind is none")
        return self


class Expected(_Strict):
    root_cause: RootCause
    #: Other, lesser real problems in the same window that a complete analysis also reports.
    also: list[RootCause] = Field(default_factory=list)
    must_not_flag: list[str] = Field(default_factory=list)
    owner_repo: str | None = None

    @model_validator(mode="after")
    def _also_are_problems(self) -> Expected:
        if any(also.kind == "none" for also in self.also):
            raise ValueError("also lists real problems; kind none is not one")
        return self


class Scenario(_Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    description: str = ""
    service: str
    environment: str
    seed: int = 0
    #: Part of the blind set: written without looking at the analyzer, to measure generalization.
    blind: bool = False
    incident: IncidentSpec
    logs: list[LogSpec] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(default_factory=list)
    state_machines: list[StateMachineSpec] = Field(default_factory=list)
    expected: Expected
    #: Folder of the scenario file; CSV paths resolve against it first.
    source_dir: Path | None = Field(default=None, exclude=True)


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; ``str()`` is one line naming the field."""


def _bundled_dir() -> Path:
    return Path(str(resources.files(BUNDLED_PACKAGE)))


def bundled_names() -> list[str]:
    """The main bundled set (the blind set is not included; see ``blind_names``)."""
    return sorted(p.stem for p in _bundled_dir().glob("*.yaml"))


def blind_names() -> list[str]:
    """The blind set: bundled scenarios under ``scenarios/blind/``."""
    return sorted(p.stem for p in (_bundled_dir() / BLIND_SUBDIR).glob("*.yaml"))


def resolve_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return candidate
    for folder in (_bundled_dir(), _bundled_dir() / BLIND_SUBDIR):
        bundled = folder / f"{name_or_path}.yaml"
        if bundled.exists():
            return bundled
    raise ScenarioError(f"unknown scenario {name_or_path!r} (bundled: {', '.join(bundled_names())})")


def load_scenario(name_or_path: str) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path."""
    from pydantic import ValidationError

    from contracts.registry import first_error

    path = resolve_path(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ScenarioError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{path.name}: {first_error(exc)}") from exc
    return scenario.model_copy(update={"source_dir": path.parent.resolve()})
