"""Similarity for reviewers, through the service: graded submissions are compared by the worker;
the report page, the side-by-side view, the challenge page and the JSON show the pairs; a blind
invite's candidate appears by pseudonym; the score is the same with similarity off; a failing
check leaves the grading done."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app, similarity_views
from api.blinding import pseudonym
from api.services import Services
from runner.challenge import load_challenge
from runner.intake import Snapshot
from runner.settings import Settings
from runner.similarity.fingerprints import MAX_FILE_BYTES, MAX_SUBMISSION_BYTES
from runner.store.records import create_api_token, create_invite, create_reviewer
from runner.store.similarity import SimilarityCheck
from tests.fakeservice import (
    CALCULATOR,
    fake_pipeline,
    grade_all,
    reference_files,
    tar_gz,
)
from tests.similarity_copies import disguised

HTML = {"Accept": "text/html"}


def _submit(client: TestClient, token: str, files: dict[str, bytes]) -> str:
    response = client.post(f"/i/{token}/submissions", files={"archive": ("s.tgz", tar_gz(files))})
    assert response.status_code == 202, response.text
    sub: str = response.json()["id"]
    return sub


def _starter_files() -> dict[str, bytes]:
    return dict(load_challenge(CALCULATOR).starter().files)


def test_a_disguised_copy_shows_on_both_reports_with_its_regions(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    original = _submit(client, make_invite(who="Ada"), reference_files())
    grade_all(svc)
    copy = _submit(client, make_invite(who="Bob"), disguised(reference_files()))
    starter = _submit(client, make_invite(who="Cy"), _starter_files())
    grade_all(svc)

    answer = client.get(f"/api/submissions/{copy}/similarity", headers=reviewer_headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["check"]["state"] == "done"
    by_kind = {p["kind"]: p for p in body["pairs"]}
    peer = by_kind["submission"]
    assert (peer["other_submission"], peer["other"]) == (original, "Ada")
    assert peer["score"] > 0.8
    assert peer["matched_regions"] == len(peer["regions"]) >= 2
    assert by_kind["reference"]["possible_leaked_reference"] is True

    # The original sees the copy too, its own files first.
    back = client.get(f"/api/submissions/{original}/similarity", headers=reviewer_headers).json()
    mirrored = next(p for p in back["pairs"] if p["kind"] == "submission")
    assert (mirrored["other_submission"], mirrored["other"]) == (copy, "Bob")
    assert mirrored["regions"][0]["file"] == peer["regions"][0]["other_file"]

    page = client.get(f"/reviewer/submissions/{copy}", headers={**HTML, **reviewer_headers})
    assert re.search(r"Similar to <a href=\"/reviewer/submissions/" + original, page.text)
    assert (
        f"{round(100 * peer['score'])}%</strong>, {peer['matched_regions']} matched regions"
        in (page.text)
    )
    assert "Possible leaked reference solution" in page.text

    pair = client.get(
        f"/reviewer/submissions/{copy}/similarity/{peer['pair']}",
        headers={**HTML, **reviewer_headers},
    )
    assert pair.status_code == 200
    assert pair.text.count('class="region"') == peer["matched_regions"]
    assert 'class="matched"' in pair.text
    assert "Ada" in pair.text

    starter_body = client.get(
        f"/api/submissions/{starter}/similarity", headers=reviewer_headers
    ).json()
    assert starter_body["check"]["fingerprints"] == 0
    assert starter_body["pairs"] == []

    listing = client.get(
        "/reviewer/challenges/calculator/similarity", headers={**HTML, **reviewer_headers}
    )
    assert listing.status_code == 200
    assert f"/similarity/{peer['pair']}" in listing.text
    assert "the reference solution" in listing.text


def test_a_pair_of_another_submission_is_not_found(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    first = _submit(client, make_invite(who="Ada"), reference_files())
    other = _submit(client, make_invite(who="Bob"), _starter_files())
    grade_all(svc)
    pair = client.get(f"/api/submissions/{first}/similarity", headers=reviewer_headers).json()
    pair_id = pair["pairs"][0]["pair"]
    wrong = client.get(
        f"/reviewer/submissions/{other}/similarity/{pair_id}", headers=reviewer_headers
    )
    assert wrong.status_code == 404
    missing = client.get("/api/submissions/nope/similarity", headers=reviewer_headers)
    assert missing.status_code == 404
    unknown = client.get("/reviewer/challenges/nope/similarity", headers=reviewer_headers)
    assert unknown.status_code == 404


def test_a_blind_candidate_is_shown_by_pseudonym(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    invite, token = create_invite(
        svc.db,
        challenge_id="calculator",
        candidate="Grace Hopper",
        expires_days=1,
        max_submissions=1,
        created_by=None,
        blind=True,
    )
    blind = _submit(client, token, reference_files())
    grade_all(svc)
    copy = _submit(client, make_invite(who="Bob"), disguised(reference_files()))
    grade_all(svc)
    name = pseudonym(svc.settings.secret_key, invite.id)
    body = client.get(f"/api/submissions/{copy}/similarity", headers=reviewer_headers).json()
    peer = next(p for p in body["pairs"] if p["kind"] == "submission")
    assert (peer["other_submission"], peer["other"]) == (blind, name)
    for url in (
        f"/reviewer/submissions/{copy}",
        f"/reviewer/submissions/{copy}/similarity/{peer['pair']}",
        "/reviewer/challenges/calculator/similarity",
        f"/api/submissions/{copy}/similarity",
    ):
        text = client.get(url, headers={**HTML, **reviewer_headers}).text
        assert name in text
        assert "Grace" not in text


def test_the_score_is_the_same_with_similarity_off(
    client: TestClient,
    svc: Services,
    settings: Settings,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    leak = _submit(client, make_invite(who="Ada"), reference_files())
    grade_all(svc)
    flagged = client.get(f"/api/submissions/{leak}", headers=reviewer_headers).json()
    pairs = client.get(f"/api/submissions/{leak}/similarity", headers=reviewer_headers).json()
    assert pairs["pairs"][0]["possible_leaked_reference"] is True

    off = settings.model_copy(
        update={"similarity": False, "data_dir": settings.data_dir.parent / "off"}
    )
    with TestClient(create_app(off, pipeline_factory=fake_pipeline)) as other:
        services: Services = other.app.state.services  # type: ignore[attr-defined]
        assert services.similarity is None
        token = _calculator_invite(services)
        plain = _submit(other, token, reference_files())
        grade_all(services)
        create_reviewer(services.db, "rev@example.com", "correct horse battery")
        headers = {"Authorization": f"Bearer {create_api_token(services.db, 'rev@example.com')}"}
        unflagged = other.get(f"/api/submissions/{plain}", headers=headers).json()
        with services.db.reading() as session:
            assert session.get(SimilarityCheck, plain) is None
    assert flagged["state"] == unflagged["state"] == "done"
    assert flagged["score"] == unflagged["score"]
    assert flagged["score"] is not None


def _calculator_invite(services: Services) -> str:
    """The token of a new one-submission calculator invite for "Ada"."""
    _invite, token = create_invite(
        services.db,
        challenge_id="calculator",
        candidate="Ada",
        expires_days=1,
        max_submissions=1,
        created_by=None,
    )
    return token


def test_a_failing_check_leaves_the_grading_done(
    settings: Settings, make_invite: Callable[..., str], tmp_path: Path
) -> None:
    del make_invite
    packs = tmp_path / "packs"
    shutil.copytree(CALCULATOR, packs / "calculator")
    broken = settings.model_copy(update={"challenge_dirs": [packs]})
    with TestClient(create_app(broken, pipeline_factory=fake_pipeline)) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        _ = services.challenges  # loaded now; the reference is read again at each check
        shutil.rmtree(packs / "calculator" / "reference")
        token = _calculator_invite(services)
        sub = _submit(client, token, _starter_files())
        assert grade_all(services)
        status = client.get(f"/i/{token}/submissions/{sub}").json()
        assert status["state"] == "done"
        with services.db.reading() as session:
            check = session.get(SimilarityCheck, sub)
        assert check is not None
        assert check.state == "failed"
        assert "reference" in (check.error or "")


def test_a_submission_too_large_to_compare_shows_as_skipped(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    sub = _submit(client, make_invite(who="Ada"), reference_files())
    assert grade_all(svc)
    # The test service's upload limit is small: the regrade of a larger push, as the worker
    # would record it, with the real index.
    count = MAX_SUBMISSION_BYTES // MAX_FILE_BYTES + 1
    files = {f"gen/m{n}.py": b"x = 1\n" * (MAX_FILE_BYTES // 6) for n in range(count)}
    index = svc.similarity
    assert index is not None
    index.record(sub, svc.challenges.get("calculator"), Snapshot(files=files))
    body = client.get(f"/api/submissions/{sub}/similarity", headers=reviewer_headers).json()
    assert body["check"]["state"] == "skipped"
    assert "too large" in body["check"]["error"]
    assert body["pairs"] == []
    page = client.get(f"/reviewer/submissions/{sub}", headers={**HTML, **reviewer_headers})
    assert 'id="similarity-skipped"' in page.text
    assert "too large" in page.text


def test_the_side_by_side_page_caps_the_regions_it_shows(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _submit(client, make_invite(who="Ada"), reference_files())
    grade_all(svc)
    copy = _submit(client, make_invite(who="Bob"), disguised(reference_files()))
    grade_all(svc)
    body = client.get(f"/api/submissions/{copy}/similarity", headers=reviewer_headers).json()
    peer = next(p for p in body["pairs"] if p["kind"] == "submission")
    assert peer["matched_regions"] >= 2
    monkeypatch.setattr(similarity_views, "_MAX_REGIONS", 1)
    pair = client.get(
        f"/reviewer/submissions/{copy}/similarity/{peer['pair']}",
        headers={**HTML, **reviewer_headers},
    )
    assert pair.status_code == 200
    assert pair.text.count('class="region"') == 1
    more = peer["matched_regions"] - 1
    assert f"and {more} more region" in pair.text
