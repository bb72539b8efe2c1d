"""The pages in a real browser (Debian's Chromium driven by Playwright), with screenshots.

A candidate opens the invite, uploads an archive and watches the status page until grading is
done; a reviewer logs in, creates an invite and reads the report. Two reviewers review one
submission independently: A opens its changes view, sees a finding introduced on a changed line
and one inherited on a starter line, comments on a line from there, fills the rubric, recommends
and submits; B sees none of it (nor A's comment in the changes view) until B has submitted too,
then both in the calibration view; B records a decision on the invite (its page) and on the
submission, which the dashboard shows. Screenshots go to
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
from typing import Any

import pytest

from api.change_views import line_anchor
from api.services import Services
from runner.intake import Snapshot
from runner.settings import Settings
from runner.store.records import NewSubmission, add_submission, create_invite, create_reviewer
from tests.fakeservice import (
    CALC_INIT,
    MUL_LINE,
    changed_calculator,
    changed_report,
    complete_run,
    reference_archive,
    serving,
)

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


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/reviewer")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/reviewer")


def _fill_review(page: Any, tests: int, notes: int, recommendation: str, summary: str) -> None:
    page.check(f"input[name='level.tests'][value='{tests}']")
    page.check(f"input[name='level.notes'][value='{notes}']")
    page.fill("textarea[name=summary]", summary)
    page.check(f"input[name=recommendation][value={recommendation}]")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector("#review-state:text('submitted')")


def _open_changes_and_comment(page: Any, base: str, sub: str, eval_line: int) -> None:
    """Reviewer A on the changes view: the introduced finding on the changed eval() line, the
    inherited one on the starter's `def mul` line, then a comment on the eval() line."""
    page.goto(f"{base}/reviewer/submissions/{sub}")
    page.wait_for_selector("svg[aria-label='category scores']")
    assert page.locator("#origins-security").inner_text() == "1 introduced, 0 inherited"
    assert page.locator("#origins-style").inner_text() == "0 introduced, 1 inherited"
    page.click("#changes-link")
    changed = f"tr.added#{line_anchor(CALC_INIT, eval_line)}"
    introduced = page.locator(f"{changed} + tr.finding")
    assert "B307" in introduced.inner_text()
    assert introduced.locator(".origin-introduced").inner_text() == "introduced"
    inherited = page.locator(f"tr.context#{line_anchor(CALC_INIT, MUL_LINE)} + tr.finding")
    assert "ANN001" in inherited.inner_text()
    assert inherited.locator(".origin-inherited").inner_text() == "inherited"
    page.click(f"{changed} a.comment-link")
    page.fill("#line-comment-form textarea[name=text]", "ANN-COMMENT: eval on candidate input")
    page.click("#line-comment-form button")
    page.wait_for_url(re.compile(r".*/changes#line-[0-9a-f]+-\d+$"))
    shown = page.locator(f"{changed} + tr.finding + tr.comment")
    assert "ANN-COMMENT: eval on candidate input" in shown.inner_text()
    page.screenshot(path=SHOTS / "review-changes-comment.png", full_page=True)


def test_two_independent_reviews_and_a_decision_in_chromium(settings: Settings) -> None:
    """The review flow of issue 12 from the changes view to the dashboard's decision.

    The submission is the calculator's starter with `sub` and `evaluate` written (eval() on the
    input); its report is constructed, not graded, and stored through the queue as a worker
    stores one (the server runs the fake pipeline with no worker): bandit's B307 on the new eval()
    line, ruff's ANN001 on the starter's `def mul` line (tests/fakeservice.py
    `changed_report`). tests/api/test_changes.py grades such a submission with the real graders
    in Docker and checks the same placing; a browser test over Docker grading would add minutes
    and a second engine dependency for no check this one lacks."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(settings, workers=0) as (base, svc):
        for email in ("ann@example.com", "bob@example.com"):
            create_reviewer(svc.db, email, "correct horse battery")
        invite, _token = create_invite(
            svc.db,
            challenge_id="calculator",
            candidate="Ada Lovelace",
            expires_days=7,
            max_submissions=2,
            created_by=None,
        )
        files, eval_line = changed_calculator()
        new = NewSubmission("calculator", Snapshot(files=files), "a.tgz", invite_id=invite.id)
        sub, run_id = add_submission(svc.db, svc.blobs, new)
        complete_run(svc, run_id, changed_report(eval_line))
        _review_flow(base, sub, invite.id, eval_line)


def _review_flow(base: str, sub: str, invite_id: str, eval_line: int) -> None:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        ann = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        _login(ann, base, "ann@example.com")
        _open_changes_and_comment(ann, base, sub, eval_line)
        ann.goto(f"{base}/reviewer/submissions/{sub}")
        ann.click("text=Open your review")
        ann.wait_for_selector("#review-form")
        ann.wait_for_selector("text=ANN-COMMENT: eval on candidate input")
        _fill_review(ann, 3, 2, "yes", "ANN-SUMMARY: clean and well tested")
        ann.screenshot(path=SHOTS / "review-form.png", full_page=True)

        bob = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        _bob_reviews_after_ann(bob, base, sub)
        _decide(bob, base, sub, invite_id)
        browser.close()


def _bob_reviews_after_ann(bob: Any, base: str, sub: str) -> None:
    """B sees nothing of A's review until B's own is submitted, then all of it."""
    _login(bob, base, "bob@example.com")
    bob.goto(f"{base}/reviewer/submissions/{sub}/review")
    assert bob.locator("#others-hidden").is_visible()
    for secret in ("ANN-SUMMARY", "ANN-COMMENT", "ann@example.com"):
        assert secret not in bob.content()
    bob.goto(f"{base}/reviewer/submissions/{sub}/changes")
    assert bob.locator("#others-comments-hidden").is_visible()
    for secret in ("ANN-COMMENT", "ann@example.com"):
        assert secret not in bob.content()
    hidden = bob.goto(f"{base}/reviewer/submissions/{sub}/calibration")
    assert hidden is not None
    assert hidden.status == 403
    assert "ANN-SUMMARY" not in bob.content()
    bob.goto(f"{base}/reviewer/submissions/{sub}/review")
    _fill_review(bob, 1, 0, "no", "BOB-SUMMARY: thin tests")
    assert "ANN-SUMMARY" in bob.content()  # both submitted: the other review shows
    bob.goto(f"{base}/reviewer/submissions/{sub}/calibration")
    table = bob.locator("#calibration").inner_text()
    assert "ann@example.com" in table
    assert "bob@example.com" in table
    assert "⚑" in table  # tests: levels 3 and 1 are two levels apart
    assert "ANN-COMMENT: eval on candidate input" in bob.content()
    bob.screenshot(path=SHOTS / "review-calibration.png", full_page=True)
    bob.goto(f"{base}/reviewer/submissions/{sub}/changes")
    comment = bob.locator("tr.comment", has_text="ANN-COMMENT").first
    assert "ann@example.com" in comment.inner_text()


def _decide(bob: Any, base: str, sub: str, invite_id: str) -> None:
    """B records a decision on the invite (its page), then on the submission (report page)."""
    bob.goto(f"{base}/reviewer/invites/{invite_id}")
    bob.select_option("#invite-decision-form select[name=value]", "hold")
    bob.fill("#invite-decision-form textarea[name=reason]", "Second interview first")
    bob.click("#invite-decision-form button")
    bob.wait_for_selector("#invite-decision .decision-hold")
    bob.screenshot(path=SHOTS / "review-invite-decision.png", full_page=True)
    bob.goto(f"{base}/reviewer")
    assert bob.locator("span.decision-hold").first.inner_text() == "hold"

    bob.goto(f"{base}/reviewer/submissions/{sub}")
    bob.select_option("select[name=value]", "advance")
    bob.fill("textarea[name=reason]", "Strong on the evaluator; probe tests in interview")
    bob.click("text=Record decision")
    bob.wait_for_selector("#decision .decision-advance")
    bob.goto(f"{base}/reviewer")
    badge = bob.locator("span.decision-advance").first
    assert badge.inner_text() == "advance"
    assert "⚑ disagree" in bob.content()
    bob.screenshot(path=SHOTS / "review-dashboard-decision.png", full_page=True)
