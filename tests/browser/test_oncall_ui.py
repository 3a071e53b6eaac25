"""What an on-call engineer sees, in a real headless Chromium: the incident_packet summary with its
chart in the Dagster UI, the API docs, and the chart endpoint (demo stack on free ports)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.ui_screenshots import VIEWPORT, api_docs, chart_endpoint, launch, packet_summary
from benchmarks.ui_stack import UiStack, browser_missing, ui_stack

pytestmark = [pytest.mark.browser, pytest.mark.integration]
MISSING = browser_missing()


@pytest.fixture(scope="module")
def stack() -> Iterator[UiStack]:
    if MISSING:
        pytest.skip(MISSING)
    with ui_stack() as running:
        yield running


@pytest.fixture(scope="module")
def page(stack: UiStack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser.new_page(viewport=VIEWPORT)
        browser.close()


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_packet_summary_shows_findings_owners_and_a_loaded_chart(stack: UiStack, page: Any) -> None:
    seen = packet_summary(page, stack)
    text = seen["summary_text"]
    assert stack.packet.findings[0].title in text
    assert "Top findings" in text and "Suspected owners" in text and "Charts" in text
    assert seen["chart_src_scheme"] == "data:image/png;base64" and seen["chart_natural_width"] == 800


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_api_docs_and_the_chart_endpoint(stack: UiStack, page: Any) -> None:
    docs = api_docs(page, stack)
    assert docs["status"] == 200 and "Swagger UI" in docs["title"] and docs["chart_path_documented"]
    assert docs["rendered_title"].startswith("OpsRunbook API")  # the page rendered: its script loaded
    chart = chart_endpoint(page, stack)
    assert chart == {"status": 200, "content_type": "image/png", "natural_width": 800}
