from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsrunbook_dagster.sandbox.scenario import ScenarioError, blind_names, bundled_names, load_scenario
from opsrunbook_dagster.sandbox.seed_logs import render_log_events
from opsrunbook_dagster.sandbox.seed_metrics import metric_points
from opsrunbook_dagster.sandbox.seeder import incident_request
from opsrunbook_dagster.sandbox.textgen import render

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_bundled_scenarios_all_validate() -> None:
    names = bundled_names()
    assert "lambda-timeout" in names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name, "file name must equal the scenario name"
        request = incident_request(scenario, NOW)
        assert request.time_window.end == NOW
        assert not scenario.blind, f"{name}: blind scenarios belong in scenarios/blind/"


def test_blind_set_loads_by_name_and_is_marked_blind() -> None:
    names = blind_names()
    assert len(names) >= 12
    assert not set(names) & set(bundled_names()), "a blind name must not shadow a main one"
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name, "file name must equal the scenario name"
        assert scenario.blind, f"{name}: a scenario under scenarios/blind/ must say blind: true"
        assert scenario.description.strip(), f"{name}: the on-call description is missing"
        assert incident_request(scenario, NOW).time_window.end == NOW
        assert render_log_events(scenario, NOW) or scenario.metrics, f"{name}: no data"
        # moto matches a metric's dimensions in the order given; the seeder writes them sorted.
        for dims in [m.dimensions for m in scenario.metrics] + [
            q.dimensions for q in scenario.incident.hints.metrics
        ]:
            assert list(dims) == sorted(dims), f"{name}: write metric dimensions in sorted order"


def test_expected_also_lists_secondary_root_causes(tmp_path: Path) -> None:
    body = (
        "name: ok-name\nservice: s\nenvironment: e\nblind: true\n"
        "incident: {window_minutes: 5, hints: {log_groups: [/a]}}\n"
        "expected: {root_cause: {kind: runtime_error, resource: a}, also: [{kind: lambda_timeout}]}\n"
    )
    with pytest.raises(ScenarioError, match=r"expected\.also\.0"):
        load_scenario(_write(tmp_path, body))
    with pytest.raises(ScenarioError, match="kind none is not one"):
        load_scenario(_write(tmp_path, body.replace("{kind: lambda_timeout}", "{kind: none}")))
    scenario = load_scenario(
        _write(tmp_path, body.replace("{kind: lambda_timeout}", "{kind: lambda_timeout, resource: b}"))
    )
    assert scenario.blind and [a.resource for a in scenario.expected.also] == ["b"]


def test_placeholders_substituted_and_other_braces_literal() -> None:
    rng = random.Random(1)
    line = render(
        '{"level":"ERROR","id":"{uuid}","n":{int:5-5},"h":"{hex:4}","ip":"{ip}","c":"{choice:a|b}","t":"{ts}","x":{}}',
        rng=rng,
        moment=NOW,
        tick_uuid="U",
    )
    assert line.startswith('{"level":"ERROR","id":"U","n":5,"h":"')
    assert '"t":"2026-11-26T12:00:00.000Z","x":{}}' in line
    assert '"c":"a"' in line or '"c":"b"' in line
    assert render("{unknown} {int:x-y}", rng=rng, moment=NOW, tick_uuid="U") == "{unknown} {int:x-y}"


def test_seeded_data_is_deterministic() -> None:
    scenario = load_scenario("lambda-timeout")
    first = render_log_events(scenario, NOW)
    assert first == render_log_events(scenario, NOW)
    assert first != render_log_events(scenario.model_copy(update={"seed": 8}), NOW)
    points = [metric_points(spec, i, scenario, NOW) for i, spec in enumerate(scenario.metrics)]
    assert points == [metric_points(spec, i, scenario, NOW) for i, spec in enumerate(scenario.metrics)]


def test_lines_share_one_request_id_per_tick() -> None:
    events = next(iter(render_log_events(load_scenario("lambda-timeout"), NOW).values()))
    start, end = events[0]["message"], events[2]["message"]
    assert start.startswith("START RequestId: ") and end.startswith("END RequestId: ")
    assert start.split()[2] == end.split()[2]


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("name: x\n", "name"),
        (
            "name: ok-name\nservice: s\nenvironment: e\nincident: {window_minutes: 0, hints: {log_groups: [/a]}}\n"
            "expected: {root_cause: {kind: none}}\n",
            "incident.window_minutes",
        ),
        (
            "name: ok-name\nservice: s\nenvironment: e\nincident: {window_minutes: 5, hints: {}}\n"
            "expected: {root_cause: {kind: none}}\n",
            "incident.hints",
        ),
        (
            "name: ok-name\nservice: s\nenvironment: e\nincident: {window_minutes: 5, hints: {log_groups: [/a]}}\n"
            "logs: [{log_group: /a, from_minute: -5}]\nexpected: {root_cause: {kind: none}}\n",
            "logs.0",
        ),
        (
            "name: ok-name\nservice: s\nenvironment: e\nincident: {window_minutes: 5, hints: {log_groups: [/a]}}\n"
            "expected: {root_cause: {kind: lambda_timeout}}\n",
            "expected.root_cause",
        ),
    ],
)
def test_invalid_scenarios_name_the_field(tmp_path: Path, body: str, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, body))
    message = str(info.value)
    assert "\n" not in message
    assert f": {field}" in message


def test_unknown_scenario_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown scenario"):
        load_scenario("no-such-scenario")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(_write(tmp_path, "name: [unclosed"))
