"""Hostile evidence text stays text in every Markdown we write (Dagster metadata, the PR report).

Rendered with markdown-it-py (CommonMark + GFM tables, raw HTML allowed, as GitHub and the Dagster
UI would otherwise interpret it): no tag from evidence survives, cells are not split, nothing is
formatted or linked, and the text reads back as it was.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.markdown import incident_markdown, pr_body
from opsrunbook_dagster.actions.render.markdown_escape import md_code, md_fence, md_text
from opsrunbook_dagster.defs.incidents.summaries import packet_markdown
from tests import factories

HOSTILE = [
    "Task timed out after <num> seconds",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a | b | c",
    "run `rm -rf /` now",
    "``double`` and ` single",
    "*bold* _em_ ~~gone~~ [link](http://evil.example) ![img](http://evil.example/x.png)",
    "# heading",
    "- list item",
    "1. ordered",
    "AT&T &amp; &lt;b&gt;",
    "back\\slash \\| pipe",
    "line one\nline two\r\n| x |",
]
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
FORMATTING = re.compile(
    r"<(?!/?(?:p|code|table|thead|tbody|tr|th|td|h1|h2|h3|ul|ol|li|strong|pre|hr)\b)[^>]*>"
)


def _text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("hostile", HOSTILE)
def test_md_text_renders_as_the_literal_text(hostile: str) -> None:
    rendered = RENDERER.render(md_text(hostile))
    assert FORMATTING.search(rendered) is None, rendered
    assert not re.search(r"<(em|strong|a|img|h1|ul|ol|code|s|del)\b", rendered), rendered
    assert _text(rendered).strip() == _flat(hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_one_table_cell_stays_one_cell(hostile: str) -> None:
    table = f"| a | b |\n|---|---|\n| {md_text(hostile)} | {md_code(hostile)} |\n"
    rendered = RENDERER.render(table)
    body = rendered.split("<tbody>")[1]
    assert body.count("<td>") == 2, rendered
    cells = re.findall(r"<td>(.*?)</td>", body, re.S)
    assert _text(cells[0]) == _flat(hostile)
    assert _text(cells[1]) == _flat(hostile)
    assert FORMATTING.search(rendered) is None


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_fenced_block_holds_the_text_verbatim(hostile: str) -> None:
    rendered = RENDERER.render("\n".join(md_fence(hostile, "shell")) + "\n")
    assert rendered.count("<pre>") == 1
    shown = html.unescape(re.sub(r"</?(pre|code)[^>]*>", "", rendered))
    assert shown.rstrip("\n") == hostile.replace("\r\n", "\n").rstrip("\n")  # CommonMark normalises CRLF


def _hostile_packet() -> IncidentPacketV1:
    finding = factories.finding(
        title="payment-gateway: <script>alert(1)</script> | `x` <num>",
        summary="*bold* [link](http://evil.example) <img src=x>",
        resource="/aws/lambda/pay|ment`gw",
    )
    return IncidentPacketV1.model_validate(
        factories.packet(
            summary="<b>Lambda</b> timeouts | <num>",
            findings=[finding],
            next_actions=[
                {
                    "id": "n-1",
                    "kind": "aws_cli",
                    "title": "Run <this> `now`",
                    "command": "echo ```\nfilter @message like /<num>/",
                    "finding_ids": [],
                }
            ],
            limits=[{"code": "note", "message": "<script>x</script> | dropped"}],
        )
    )


@pytest.mark.parametrize(
    "render",
    [
        packet_markdown,
        incident_markdown,
        lambda p: pr_body(p, "incidents/inc-1.md", "0" * 64, {"Dagster run": "http://d.example/runs/(x) y"}),
    ],
)
def test_reports_carry_no_html_or_formatting_from_evidence(render) -> None:  # type: ignore[no-untyped-def]
    rendered = RENDERER.render(render(_hostile_packet()))
    assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "<num>" not in rendered and "<this>" not in rendered
    assert 'href="http://evil.example"' not in rendered and "<em>" not in rendered
    text = _text(rendered)
    assert "<script>alert(1)</script> | `x` <num>" in text
    for row in re.findall(r"<tr>(.*?)</tr>", rendered, re.S)[1:]:
        assert row.count("<td>") in (5, 6), row  # every table row keeps its columns


def test_the_command_block_is_not_closed_by_backticks_in_the_command() -> None:
    rendered = RENDERER.render(incident_markdown(_hostile_packet()))
    assert "echo ```\nfilter @message like /&lt;num&gt;/" in rendered
