"""/docs runs only this service's own files under the site's 'self'-only CSP (issue 15: it loaded
Swagger UI from a CDN, without a CSP, and did not work offline); `docs_enabled` turns it off."""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services
from runner.settings import Settings
from tests.fakeservice import fake_pipeline

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_REFERENCE = re.compile(r"""(?:src|href|url)\s*=\s*["']([^"']+)["']""")


def _csp(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_docs_reference_no_other_origin_and_carry_a_csp(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = _REFERENCE.findall(page.text)
    assert references, "the page names its assets"
    for ref in references:
        assert ref.startswith("/"), ref  # a path on this origin ...
        assert not ref.startswith("//"), ref  # ... not a scheme-relative URL of another
    assert "cdn" not in page.text.lower()
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    policy = _csp(page)
    assert policy["default-src"] == "'self'"
    assert "script-src" not in policy  # falls back to default-src 'self'
    assert policy["frame-ancestors"] == "'none'"
    for ref in [*references, "/openapi.json"]:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert "content-security-policy" in asset.headers
    start = client.get("/docs/assets/start.js").text
    assert "http" not in start


def test_docs_can_be_turned_off(settings: Settings) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"docs_enabled": False}), fake_pipeline)
    with TestClient(app) as client:
        for path in ("/docs", "/openapi.json", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
            assert client.get(path).status_code == 404, path


@pytest.mark.slow
def test_swagger_ui_renders_offline_under_the_csp(live_server: tuple[str, Services]) -> None:
    """In Chromium: the operations render, no request leaves the origin, no CSP violation."""
    if os.environ.get("CI") != "true" and not Path(CHROMIUM).exists():
        pytest.skip("no Chromium installed")
    sync_api = importlib.import_module("playwright.sync_api")
    base, _svc = live_server
    requests: list[str] = []
    console: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
        browser.close()
    assert operations > 10
    assert requests
    assert all(url.startswith(base) for url in requests), requests
    assert not [line for line in console if "Content Security Policy" in line], console
