"""The candidate's journey in a real browser (Debian's Chromium driven by Playwright): open a
timed invite, press Start, download the starter zip, change it, upload it, watch the status page
reach done; the reviewer then sees the time used. Skipped like `test_browser.py` without
Chromium or Playwright (and failing in CI)."""

from __future__ import annotations

import importlib
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from api.services import Services
from runner.invites import InviteSpec, open_invite
from runner.store.records import create_reviewer
from tests.api.conftest import CALCULATOR

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api")
    pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium installed")
playwright = importlib.import_module("playwright.sync_api")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _solve(starter_zip: Path, into: Path) -> Path:
    """The downloaded starter with the reference solution's files written over it, zipped."""
    with zipfile.ZipFile(starter_zip) as archive:
        archive.extractall(into)
    folder = into / "calculator"
    assert (folder / ".git" / "HEAD").exists()
    for path in (CALCULATOR / "reference").rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(CALCULATOR / "reference")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(into).as_posix())
    solved = into / "solution.zip"
    solved.write_bytes(buffer.getvalue())
    return solved


def test_a_timed_invite_from_start_to_graded(
    live_server: tuple[str, Services], tmp_path: Path
) -> None:
    base, svc = live_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    spec = InviteSpec(candidate="Ada Lovelace", time_limit_hours=3)
    _invite, token = open_invite(svc.db, svc.blobs, svc.challenges.get("calculator"), spec)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1200, "height": 900}
        )
        page = context.new_page()
        page.goto(f"{base}/i/{token}")
        assert page.locator("a[href$='starter.zip']").count() == 0  # not before Start
        page.click("text=Start the clock")
        page.wait_for_selector("#time-left")
        assert page.locator("#time-left").inner_text() in {"3 h 00 min", "2 h 59 min"}
        page.screenshot(path=SHOTS / "candidate-started.png", full_page=True)

        with page.expect_download() as download:
            page.click("a[href$='starter.zip']")
        starter = tmp_path / "starter.zip"
        download.value.save_as(starter)
        solution = _solve(starter, tmp_path / "work")

        page.set_input_files("input[name=archive]", solution)
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/submissions/[0-9a-f]{32}$"))
        assert page.locator("#progress").count() == 1
        page.wait_for_selector("text=Score:", timeout=20_000)  # the page refreshes itself
        assert page.locator("#progress li.current").inner_text() == "done"
        submission = page.url.rsplit("/", 1)[1]
        page.screenshot(path=SHOTS / "candidate-graded.png", full_page=True)

        page.goto(f"{base}/reviewer")
        page.fill("input[name=email]", "rev@example.com")
        page.fill("input[name=password]", "correct horse battery")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/reviewer")
        page.goto(f"{base}/reviewer/submissions/{submission}")
        clock = page.locator("#clock").inner_text()
        assert re.search(r"time used \d+ min", clock), clock
        assert "late" not in clock
        page.screenshot(path=SHOTS / "reviewer-time-used.png", full_page=True)
        browser.close()
