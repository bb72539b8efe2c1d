"""The pages in a real browser (Debian's Chromium driven by Playwright), with screenshots.

A candidate opens the invite, uploads an archive and watches the status page until grading is
done; a reviewer logs in, creates an invite and reads the report. Screenshots go to
`artifacts/screenshots/`. Without Chromium (`apt-get install chromium`) or the `playwright`
package it is skipped on a developer's machine and fails in CI (`CI=true`), where
scripts/test.sh installs both.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest

from api.services import Services
from runner.store.records import create_invite, create_reviewer
from tests.fakeservice import reference_archive

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api")
    pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium installed")
playwright = importlib.import_module("playwright.sync_api")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.slow
def test_candidate_and_reviewer_in_chromium(
    live_server: tuple[str, Services], tmp_path: Path
) -> None:
    base, svc = live_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    _invite, token = create_invite(
        svc.db,
        challenge_id="calculator",
        candidate="Ada Lovelace",
        expires_days=7,
        max_submissions=2,
        created_by=None,
    )
    archive = tmp_path / "solution.tar.gz"
    archive.write_bytes(reference_archive())
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{base}/i/{token}")
        assert page.locator("h1").first.inner_text() == "Calculator library"
        page.screenshot(path=SHOTS / "candidate-invite.png", full_page=True)
        page.set_input_files("input[name=archive]", archive)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/submissions/[0-9a-f]{32}$"))
        page.wait_for_selector("text=Score:", timeout=20_000)  # the page refreshes itself
        assert "test_precedence" in page.content()
        assert "HIDDEN-ORACLE-SECRET" not in page.content()
        page.screenshot(path=SHOTS / "candidate-status.png", full_page=True)

        page.goto(f"{base}/reviewer")
        page.fill("input[name=email]", "rev@example.com")
        page.fill("input[name=password]", "correct horse battery")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/reviewer")
        assert "Ada Lovelace" in page.content()
        page.screenshot(path=SHOTS / "reviewer-dashboard.png", full_page=True)
        page.fill("input[name=candidate]", "Grace Hopper")
        page.click("text=Create invite")
        link = page.locator("#invite-link").inner_text()
        assert link.startswith(f"{base}/i/")
        page.screenshot(path=SHOTS / "reviewer-invite.png")
        page.goto(f"{base}/reviewer")
        page.click("a[href^='/reviewer/submissions/'] >> nth=0")
        page.wait_for_selector("svg[aria-label='category scores']")
        assert "HIDDEN-ORACLE-SECRET" in page.content()  # reviewers see hidden-test messages
        page.screenshot(path=SHOTS / "reviewer-report.png", full_page=True)
        browser.close()
