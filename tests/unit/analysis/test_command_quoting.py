"""Suggested commands are shell: hostile log text, resource names and signatures must stay data.

Every generated ``next_actions[].command`` that is shell (``aws_cli``) must parse (``bash -n``),
and running it with the real tools replaced by stubs on PATH must run nothing but the stub with
the intended arguments (no marker file, no injected command)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from contracts.packet import Finding, FindingKind, NextActionKind
from opsrunbook_dagster.analysis.narrative import next_actions
from tests import factories

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash not installed")

HOSTILE = [
    "it's '`id>{m}`'",
    "$(touch {m})",
    "`touch {m}`",
    "x; touch {m}; echo",
    "a\ntouch {m}\n",
    "'; touch {m}; '",
    '"; touch {m}; "',
    "ünïcødé — \u2019quote\u2019 \u2028 $(touch {m})",
    "x|touch {m}",
    "x && touch {m} || true",
    "${{IFS}}touch${{IFS}}{m}",
    "\\'$(touch {m})\\'",
]


def _findings(marker: Path) -> list[Finding]:
    out = []
    for index, template in enumerate(HOSTILE):
        text = template.format(m=marker)
        for kind, resource in (
            (FindingKind.lambda_timeout, f"/aws/lambda/fn{index}-{text}"),
            (FindingKind.runtime_error, f"/aws/lambda/{text}"),
            (FindingKind.stepfn_failure, f"arn:aws:states:us-east-1:1:stateMachine:{text}"),
            (FindingKind.log_signature, f"/ecs/{text}"),
        ):
            doc = factories.finding(kind=kind.value, resource=resource, signature=f"ERROR {text} <num>")
            out.append(Finding.model_validate(doc))
    return out


def _stub_path(tmp: Path) -> Path:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "aws"
    stub.write_text('#!/bin/sh\nprintf "%s\\0" "$@" > "$STUB_OUT"\n', encoding="utf-8")
    stub.chmod(0o755)
    return bin_dir


def test_hostile_text_never_escapes_its_argument(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bin_dir = _stub_path(tmp_path)
    commands = []
    findings = _findings(marker)
    for start in range(0, len(findings), 5):  # next_actions looks at the top five findings
        commands += [
            a.command
            for a in next_actions(findings[start : start + 5], 1, 2)
            if a.kind == NextActionKind.aws_cli
        ]
    assert len(commands) >= len(HOSTILE) * 3
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for command in commands:
        syntax = subprocess.run([BASH, "-n", "-c", command], capture_output=True, text=True, check=False)
        assert syntax.returncode == 0, (command, syntax.stderr)
        out = tmp_path / "args"
        run = subprocess.run(
            [BASH, "-c", command],
            env={**env, "STUB_OUT": str(out)},
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        assert not marker.exists(), f"injected code ran: {command!r}"
        assert run.returncode == 0 and out.exists(), (command, run.stderr)
        argv = out.read_bytes().split(b"\0")[:-1]
        assert [a.decode() for a in argv] == shlex.split(command)[1:], command
        out.unlink()
    assert os.listdir(tmp_path) == ["bin"] or sorted(os.listdir(tmp_path)) == ["bin"]


def test_markdown_fence_cannot_be_closed_by_log_text() -> None:
    from contracts.packet import IncidentPacketV1
    from opsrunbook_dagster.actions.render.markdown import incident_markdown

    finding = factories.finding(kind="log_signature", resource="/ecs/x", signature="```\n# pwned ```` x")
    pkt = IncidentPacketV1.model_validate(factories.packet(findings=[finding])).with_hashes()
    pkt = pkt.model_copy(update={"next_actions": next_actions(pkt.findings, 1, 2)})
    text = incident_markdown(pkt)
    query = next(a for a in pkt.next_actions if a.kind == NextActionKind.insights_query)
    assert "`````text\n" + query.command + "\n`````" in text
    assert "```shell" not in text.split("`````text")[1].split("`````")[0]
