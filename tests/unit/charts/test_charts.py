"""Charts of metric findings: deterministic PNG bytes, drawn from the finding and its evidence."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from contracts.evidence import MetricsEvidenceV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.markdown_escape import md_code, md_text
from opsrunbook_dagster.actions.render.oncall_summary import InlineChart, oncall_markdown, packet_api_links
from opsrunbook_dagster.charts.metric_charts import charted, render_charts
from tests import factories
from tests.charts_support import metric_finding, metrics_evidence

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _packet_and_loader(level: float = 95.0) -> tuple[IncidentPacketV1, dict[str, MetricsEvidenceV1]]:
    evidence = metrics_evidence("inc-1", "r0123456789ab", level=level)
    doc = factories.packet(findings=[factories.finding(), metric_finding(evidence, "m.json")])
    return IncidentPacketV1.model_validate(doc), {"m.json": evidence}


def test_same_evidence_renders_byte_identical_png_twice() -> None:
    pkt, stored = _packet_and_loader()
    load = lambda key, sha: stored[key]  # noqa: E731
    first, second = render_charts(pkt, load), render_charts(pkt, load)
    assert [c.finding_id for c in first] == [f.id for f in charted(pkt)] and len(first) == 1
    assert first[0].png.startswith(PNG_SIGNATURE)
    assert hashlib.sha256(first[0].png).hexdigest() == hashlib.sha256(second[0].png).hexdigest()
    assert b"Software" not in first[0].png and b"tIME" not in first[0].png  # no version, no timestamp
    other_pkt, other = _packet_and_loader(level=70.0)
    assert render_charts(other_pkt, lambda key, sha: other[key])[0].sha256 != first[0].sha256


def test_chart_bytes_do_not_depend_on_the_process() -> None:
    """A fresh interpreter (other hash seed, fresh font cache state) draws the same bytes."""
    code = (
        "import hashlib,sys;from tests.unit.charts.test_charts import _packet_and_loader;"
        "from opsrunbook_dagster.charts.metric_charts import render_charts;"
        "p,s=_packet_and_loader();print(render_charts(p,lambda k,h:s[k])[0].sha256)"
    )
    pkt, stored = _packet_and_loader()
    here = render_charts(pkt, lambda key, sha: stored[key])[0].sha256
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert out.stdout.strip() == here


def test_the_analyzer_never_imports_matplotlib() -> None:
    code = (
        "import sys;import opsrunbook_dagster.analysis.packet_builder, opsrunbook_dagster.pipeline.outputs,"
        "opsrunbook_dagster.pipeline.charts, opsrunbook_dagster.charts.render;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_oncall_summary_escapes_evidence_text_and_inlines_charts() -> None:
    pkt, stored = _packet_and_loader()
    doc = pkt.model_dump(mode="json")
    doc["findings"][0]["title"] = "x <img src=y onerror=alert(1)> [link](http://evil) | **bold**"
    doc["findings"][0]["id"] = ""
    hostile = IncidentPacketV1.model_validate(doc)
    charts = [
        InlineChart(c.finding_id, c.title, c.png) for c in render_charts(hostile, lambda k, h: stored[k])
    ]
    links = packet_api_links("http://api:8000", hostile, [c.finding_id for c in charts])
    text = oncall_markdown(hostile, charts, links)
    assert "&lt;img src=y" in text and "x <img" not in text and "[link](http" not in text
    assert "\\| \\*\\*bold\\*\\*" in text
    assert f"![chart {charts[0].finding_id}](data:image/png;base64,iVBORw0KGgo" in text
    assert f"http://api:8000/v1/incidents/inc-1/charts/{charts[0].finding_id}.png" in text
    assert md_text("a_b*c") == "a\\_b\\*c" and md_code("a`b") == "``a`b``"


def test_series_table_rows_and_sparkline() -> None:
    from opsrunbook_dagster.charts.series_table import series_rows, sparkline

    (row,) = series_rows(metrics_evidence("inc-1", "r0123456789ab"))
    assert row["metric"] == "AWS/EC2/CPUUtilization Average" and row["points"] == 48
    assert row["max"] == "97" and row["sparkline"].endswith("█") and len(row["sparkline"]) == 48
    assert sparkline([1.0, 1.0]) == "▁▁" and sparkline([]) == ""


def test_teams_card_links_to_ticket_and_pr_and_carries_no_image() -> None:
    import json

    from opsrunbook_dagster.actions.render.cards import teams_message

    pkt, _ = _packet_and_loader()
    links = {
        "Jira OPS-1": "https://jira.example/browse/OPS-1",
        "Pull request o/r#1": "https://gh.example/pull/1",
    }
    card = json.dumps(teams_message(pkt, "t", links))
    assert "https://jira.example/browse/OPS-1" in card and "https://gh.example/pull/1" in card
    assert '"Image"' not in card and ".png" not in card and "data:image" not in card
