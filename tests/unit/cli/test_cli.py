from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from opsrunbook_dagster.cli.main import COMMANDS, main
from tests import factories


def test_scenarios_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name": "lambda-timeout", "blind": False}.items() <= next(
        r for r in rows if r["name"] == "lambda-timeout"
    ).items()
    assert sum(r["blind"] for r in rows) >= 12


def test_invalid_incident_event_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(factories.incident_event(severity="sev0")))
    assert main(["validate", "incident", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("opsrunbook: error: severity:")


def test_valid_incident_event_validates(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(factories.incident_event()))
    assert main(["validate", "incident", str(path)]) == 0


def test_invalid_scenario_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: Bad Name\n")
    assert main(["validate", "scenario", str(path)]) == 2
    assert "name:" in capsys.readouterr().err


def test_seed_without_endpoint_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert main(["sandbox", "seed", "lambda-timeout"]) == 2
    assert "no sandbox endpoint" in capsys.readouterr().err


def test_schemas_export(tmp_path: Path) -> None:
    assert main(["schemas", "export", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "incident_packet.v1.schema.json").exists()


def test_sandbox_command_loads_only_its_own_module() -> None:
    """`opsrunbook sandbox up` is long-lived: it must not carry dagster, FastAPI or the action clients."""
    code = (
        "import sys\n"
        "from opsrunbook_dagster.cli.main import build_parser\n"
        "build_parser('sandbox')\n"
        "print(sorted(m for m in ('dagster', 'fastapi', 'jsonschema', 'jwt') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert all(name in text for name in COMMANDS)
