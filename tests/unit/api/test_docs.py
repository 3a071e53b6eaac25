"""The API's own documentation pages work without internet access: an operator's browser on a
closed network (or the browser test in CI) gets Swagger UI and ReDoc with every script and style
sheet served by the API itself, not by a CDN."""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from opsrunbook_api.core.config import Settings

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.fixture
def client() -> TestClient:
    settings = Settings(_env_file=None, api_keys="k", aws_endpoint_url="http://127.0.0.1:9")
    return TestClient(importlib.import_module("opsrunbook_api.main").create_app(settings))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_documentation_pages_load_every_asset_from_the_api_itself(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assets = [a or b for a, b in ASSET.findall(response.text)]
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts, f"{page} loads no script"
    external = [a for a in assets if urlsplit(a).netloc]
    assert external == [], f"{page} needs the internet for {external}"
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 0, asset
    assert any(client.get(s).headers["content-type"].startswith(("text/javascript", "application/javascript"))
               for s in scripts)  # fmt: skip
