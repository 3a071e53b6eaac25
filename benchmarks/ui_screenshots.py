"""Screenshots of what an on-call engineer sees, in a real headless Chromium (Playwright's Python
package driving Debian's /usr/bin/chromium; no browser download): the incident_packet
materialization's summary with its chart (Dagster UI), the API docs, and the chart endpoint.

``python -m benchmarks.ui_screenshots`` → benchmarks/results/screenshots/*.png and
benchmarks/results/ui_screenshots.json (what each page showed, and timings)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.ui_stack import API_KEY, CHROMIUM, CHROMIUM_ARGS, UiStack, browser_missing, ui_stack

OUT = Path(__file__).resolve().parent / "results"
SHOTS = OUT / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def dismiss_community_dialog(page: Any, timeout: float = 5_000) -> bool:
    """Dagster OSS asks new visitors to join its community once; answer 'Skip'."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=timeout)
    except Exception:
        return False
    skip.click()
    page.get_by_text("Join the Dagster community").wait_for(state="hidden", timeout=10_000)
    page.locator(".bp5-overlay-backdrop").first.wait_for(state="detached", timeout=10_000)
    return True


def packet_summary(page: Any, stack: UiStack, shot: Path | None = None) -> dict[str, Any]:
    """Open incident_packet for the stack's partition, open its 'summary' Markdown; report what
    is visible and whether the chart image loaded."""
    page.goto(f"{stack.dagster_url}/assets/incident_packet?partition={stack.partition}")
    row = page.locator("tr", has=page.get_by_text("summary", exact=True)).first
    show = row.get_by_text("[Show Markdown]")
    show.wait_for(timeout=60_000)
    dismissed = False
    for _ in range(5):  # the community dialog may open while the page is still loading
        dismissed = dismiss_community_dialog(page, timeout=2_000) or dismissed
        try:
            show.click(timeout=5_000)
            break
        except Exception:
            continue
    dialog = page.get_by_role("dialog").last
    dialog.get_by_text("Top findings").wait_for(timeout=30_000)
    image = dialog.locator("img").first
    image.wait_for(timeout=15_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                           timeout=15_000)  # fmt: skip
    width = image.evaluate("img => img.naturalWidth")
    if shot is not None:
        page.screenshot(path=str(shot))
    return {
        "community_dialog_dismissed": dismissed,
        "summary_text": dialog.inner_text()[:2000],
        "chart_natural_width": width,
        "chart_src_scheme": image.get_attribute("src").split(",", 1)[0],
    }


def api_docs(page: Any, stack: UiStack, shot: Path | None = None) -> dict[str, Any]:
    """/docs is Swagger UI with its script and CSS served by the API itself (no CDN): the check is
    that it rendered the API's title and the chart route from the OpenAPI document it loaded."""
    response = page.goto(f"{stack.api_url}/docs")
    title = page.title()
    heading = page.locator(".swagger-ui .info .title").first
    heading.wait_for(state="visible", timeout=15_000)
    chart_route = page.get_by_text("/v1/incidents/{incident_id}/charts/{finding_id}.png").first
    chart_route.wait_for(state="visible", timeout=15_000)
    if shot is not None:
        page.screenshot(path=str(shot))
    return {
        "status": response.status,
        "title": title,
        "rendered_title": heading.inner_text(),
        "chart_path_documented": chart_route.is_visible(),
    }


def chart_endpoint(page: Any, stack: UiStack, shot: Path | None = None) -> dict[str, Any]:
    """The chart endpoint in the browser, with the API key sent as a header (never in the URL)."""
    page.set_extra_http_headers({"X-API-Key": API_KEY})
    url = f"{stack.api_url}/v1/incidents/{stack.incident_id}/charts/{stack.chart_finding_id}.png"
    response = page.goto(url)
    width = page.locator("img").first.evaluate("img => img.naturalWidth")
    if shot is not None:
        page.screenshot(path=str(shot))
    page.set_extra_http_headers({})
    return {"status": response.status, "content_type": response.headers.get("content-type"),
            "natural_width": width}  # fmt: skip


def main() -> int:
    missing = browser_missing()
    if missing:
        print(f"skipped: {missing}", file=sys.stderr)
        return 0
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ui_stack() as stack:
        stack_s = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)
            report = {
                "dagster_packet_summary": packet_summary(page, stack, SHOTS / "dagster_packet_summary.png"),
                "api_docs": api_docs(page, stack, SHOTS / "api_docs.png"),
                "chart_endpoint": chart_endpoint(page, stack, SHOTS / "chart_endpoint.png"),
            }
            browser.close()
    report["timings_s"] = {"stack_up": round(stack_s, 2), "total": round(time.perf_counter() - started, 2)}
    (OUT / "ui_screenshots.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(json.dumps(report["timings_s"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
