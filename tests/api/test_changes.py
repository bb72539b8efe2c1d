"""Changes against the starter through the service: the JSON API and the reviewer's page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api import create_app
from api.services import Services
from graders.model import CategoryResult, Finding, Report
from runner.challenge import load_challenge
from runner.settings import Settings
from runner.store import StoredReport, Submission
from runner.store.records import create_api_token, create_reviewer
from tests.fakeservice import CALCULATOR, CHALLENGES, grade_all, tar_gz

INIT = "calc/__init__.py"
HOSTILE = 'calc/<img src=x onerror="alert(1)">.py'


def _starter() -> dict[str, bytes]:
    return dict(load_challenge(CALCULATOR).starter().files)


def _one_line_change() -> dict[str, bytes]:
    files = _starter()
    old = b"def sub(a, b):\n    raise NotImplementedError\n"
    assert old in files[INIT]
    files[INIT] = files[INIT].replace(old, b"def sub(a, b):\n    return a - b\n")
    return files


def _submit(client: TestClient, headers: dict[str, str], files: dict[str, bytes]) -> str:
    response = client.post(
        "/api/submissions",
        headers=headers,
        data={"challenge": "calculator"},
        files={"archive": ("a.tgz", tar_gz(files))},
    )
    assert response.status_code == 202, response.text
    submission_id: str = response.json()["id"]
    return submission_id


def _grade_with(svc: Services, *findings: tuple[str, Finding], version: str = "") -> None:
    """Complete the queued run with a report holding `findings` (graded at `version`)."""
    claim = svc.queue.claim("w")
    assert claim is not None
    by_category: dict[str, list[Finding]] = {}
    for category, finding in findings:
        by_category.setdefault(category, []).append(finding)
    categories = {
        name: CategoryResult(name=name, score=60, summary="s", findings=tuple(found))
        for name, found in by_category.items()
    }
    version = version or load_challenge(CALCULATOR).version_hash
    provenance = {"challenge": {"id": "calculator", "version_hash": version}}
    assert svc.queue.complete(
        claim, Report(score=60, categories=categories, provenance=provenance)
    )


def test_a_one_line_change_lists_exactly_that_file(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    submission = _submit(client, reviewer_headers, _one_line_change())
    assert grade_all(svc)  # the real pipeline over the fake sandbox
    response = client.get(f"/api/submissions/{submission}/changes", headers=reviewer_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["files"] == [
        {
            "path": INIT,
            "status": "changed",
            "lines_added": 1,
            "lines_removed": 1,
            "skipped": None,
            "pages": 1,
        }
    ]
    assert body["summary"]["unchanged"] == len(_starter()) - 1
    assert body["graded_version"] == load_challenge(CALCULATOR).version_hash
    assert body["starter_version_mismatch"] is False
    diff = client.get(
        f"/api/submissions/{submission}/changes",
        params={"file": INIT, "page": 1},
        headers=reviewer_headers,
    ).json()
    (hunk,) = diff["hunks"]
    changed = [(ln["kind"], ln["text"]) for ln in hunk["lines"] if ln["kind"] != "context"]
    assert changed == [("removed", "    raise NotImplementedError"), ("added", "    return a - b")]
    assert hunk["header"] == "@@ -6,7 +6,7 @@"


def test_added_removed_binary_and_oversized_files(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    files = _starter()
    del files["tests/test_calc.py"]
    files["calc/ops.py"] = b"def mul(a, b):\n    return a * b\n"
    files["logo.png"] = b"\x89PNG\r\n\x1a\n\x00\x00"
    files["data/big.txt"] = b"row\n" * 6000
    submission = _submit(client, reviewer_headers, files)
    grade_all(svc)
    body = client.get(f"/api/submissions/{submission}/changes", headers=reviewer_headers).json()
    rows = {
        f["path"]: (f["status"], f["lines_added"], f["lines_removed"], f["skipped"])
        for f in body["files"]
    }
    assert rows == {
        "calc/ops.py": ("added", 2, 0, None),
        "data/big.txt": ("added", None, None, "oversized"),
        "logo.png": ("added", None, None, "binary"),
        "tests/test_calc.py": ("removed", 0, _starter()["tests/test_calc.py"].count(b"\n"), None),
    }
    page = client.get(f"/reviewer/submissions/{submission}/changes", headers=reviewer_headers)
    assert "a binary file" in page.text
    assert "too large to diff" in page.text
    assert "row\nrow" not in page.text  # an oversized file is named, never shown
    binary = client.get(
        f"/api/submissions/{submission}/changes",
        params={"file": "logo.png"},
        headers=reviewer_headers,
    ).json()
    assert (binary["skipped"], binary["hunks"]) == ("binary", [])


def test_findings_are_shown_introduced_and_inherited(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    files = _one_line_change()
    submission = _submit(client, reviewer_headers, files)
    lines = files[INIT].decode().split("\n")
    changed = lines.index("    return a - b") + 1
    starter_line = lines.index("def mul(a, b):") + 1
    _grade_with(
        svc,
        ("security", Finding(rule="B999", message="eval on input", file=INIT, line=changed)),
        ("style", Finding(rule="N802", message="inherited name", file=INIT, line=starter_line)),
        ("tests", Finding(rule="failed", message="hidden", file="tests/test_expression.py")),
    )
    body = client.get(f"/api/submissions/{submission}/changes", headers=reviewer_headers).json()
    origins = {f["rule"]: (f["origin"], f["starter_line"]) for f in body["findings"]}
    assert origins == {
        "B999": ("introduced", None),
        "N802": ("inherited", starter_line),
        "failed": ("outside", None),
    }
    assert body["categories"]["security"]["introduced"] == 1
    assert body["categories"]["style"]["inherited"] == 1
    page = client.get(f"/reviewer/submissions/{submission}/changes", headers=reviewer_headers).text
    # Each finding sits in the diff right after the row of its line.
    introduced = re.search(
        rf'<td class="n">{changed}</td>.*?</tr>\s*<tr class="finding">.*?origin-introduced">'
        r"introduced</span> <strong>security</strong> <code>B999</code>",
        page,
        re.S,
    )
    assert introduced is not None
    inherited = re.search(
        rf'<td class="n">{starter_line}</td>.*?</tr>\s*<tr class="finding">.*?'
        r'origin-inherited">inherited</span> <strong>style</strong> <code>N802</code>',
        page,
        re.S,
    )
    assert inherited is not None
    assert '<span class="k">def</span>' in page  # highlighted by Pygments
    report = client.get(f"/reviewer/submissions/{submission}", headers=reviewer_headers).text
    assert f'href="/reviewer/submissions/{submission}/changes"' in report


def test_hostile_names_contents_and_notes_are_escaped(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    files = _starter()
    files[HOSTILE] = b'x = "<script>alert(1)</script>"\n'
    files["NOTES.md"] = (
        b"# What I did\n\n<script>alert(2)</script>\n\n[click](javascript:alert(3)) **bold**\n"
    )
    submission = _submit(client, reviewer_headers, files)
    _grade_with(svc, ("style", Finding(rule="E1", message="<b>msg</b>", file=HOSTILE, line=1)))
    page = client.get(f"/reviewer/submissions/{submission}/changes", headers=reviewer_headers).text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>msg</b>" not in page
    assert 'href="javascript:' not in page
    assert "&lt;img src=x onerror=" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>What I did</h1>" in page
    assert "<strong>bold</strong>" in page
    assert "?file=calc/%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E.py&amp;page=1" in page
    notes = client.get(f"/api/submissions/{submission}/changes", headers=reviewer_headers).json()
    (note, readme) = notes["notes"]
    assert (note["path"], note["status"], readme["status"]) == ("NOTES.md", "added", "unchanged")
    assert "<script>" not in note["html"]
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in note["html"]
    one = client.get(
        f"/api/submissions/{submission}/changes",
        params={"file": HOSTILE},
        headers=reviewer_headers,
    )
    assert one.status_code == 200
    assert one.json()["hunks"][0]["lines"][0]["text"] == 'x = "<script>alert(1)</script>"'


def test_a_changed_challenge_version_says_so_instead_of_diffing(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    submission = _submit(client, reviewer_headers, _one_line_change())
    _grade_with(svc, version="sha256:" + "1" * 64)
    body = client.get(f"/api/submissions/{submission}/changes", headers=reviewer_headers).json()
    assert body["starter_version_mismatch"] is True
    assert body["graded_version"] == "sha256:" + "1" * 64
    assert body["files"] == []
    page = client.get(f"/reviewer/submissions/{submission}/changes", headers=reviewer_headers)
    assert 'id="version-mismatch"' in page.text


def test_before_grading_the_starter_on_disk_is_used(
    client: TestClient, reviewer_headers: dict[str, str]
) -> None:
    submission = _submit(client, reviewer_headers, _one_line_change())
    body = client.get(f"/api/submissions/{submission}/changes", headers=reviewer_headers).json()
    assert body["graded_version"] is None
    assert [f["path"] for f in body["files"]] == [INIT]
    page = client.get(f"/reviewer/submissions/{submission}/changes", headers=reviewer_headers)
    assert "no report yet" in page.text


def test_large_diffs_are_paged(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    files = _starter()
    files["calc/big.py"] = b"".join(f"v{n} = {n}\n".encode() for n in range(1, 1001))
    submission = _submit(client, reviewer_headers, files)
    grade_all(svc)
    url = f"/api/submissions/{submission}/changes"
    listed = client.get(url, headers=reviewer_headers).json()
    assert listed["files"][0]["pages"] == 3  # 400 diff lines a page
    third = client.get(url, params={"file": "calc/big.py", "page": 3}, headers=reviewer_headers)
    assert third.json()["hunks"][0]["header"] == "@@ -0,0 +801,200 @@"
    page = client.get(
        f"/reviewer/submissions/{submission}/changes",
        params={"file": "calc/big.py", "page": 2},
        headers=reviewer_headers,
    ).text
    assert "page 2 of 3" in page
    assert "v401" in page
    assert "v801" not in page


def test_bad_lookups_are_precise_4xx(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    submission = _submit(client, reviewer_headers, _one_line_change())
    grade_all(svc)
    url = f"/api/submissions/{submission}/changes"
    unknown = client.get("/api/submissions/nope/changes", headers=reviewer_headers)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    page = client.get("/reviewer/submissions/nope/changes", headers=reviewer_headers)
    assert page.status_code == 404
    missing = client.get(url, params={"file": "calc/nope.py"}, headers=reviewer_headers)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    unchanged = client.get(url, params={"file": "README.md"}, headers=reviewer_headers)
    assert unchanged.status_code == 404
    past = client.get(url, params={"file": INIT, "page": 2}, headers=reviewer_headers)
    assert (past.status_code, past.json()["error"]) == (404, "not_found")
    assert (
        client.get(url, params={"file": INIT, "page": 0}, headers=reviewer_headers).status_code
        == 422
    )


def test_a_candidate_is_refused(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
) -> None:
    token = make_invite()
    response = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", tar_gz(_one_line_change()))}
    )
    submission = response.json()["id"]
    grade_all(svc)
    as_candidate = {"Authorization": f"Bearer {token}"}
    for url in (
        f"/api/submissions/{submission}/changes",
        f"/reviewer/submissions/{submission}/changes",
        f"/i/{token}/submissions/{submission}/changes",
    ):
        refused = client.get(url, headers=as_candidate, follow_redirects=False)
        assert refused.status_code in (401, 404), url
        assert "raise NotImplementedError" not in refused.text
    assert client.get(f"/api/submissions/{submission}/changes").status_code == 401


@pytest.mark.docker
def test_real_findings_are_placed_on_their_lines(
    docker_client: docker.DockerClient, tools_image: str, tmp_path: Path
) -> None:
    """Graded in containers: bandit's eval on a new line is introduced; coverage's first missing
    line, a starter line left alone, is inherited."""
    del docker_client, tools_image  # the gate, and the tools image built before grading
    settings = Settings(
        data_dir=tmp_path / "data",
        challenge_dirs=[CHALLENGES],
        secret_key="e2e-secret-key-0123456789abcdef",
        workers=0,
    )
    app = create_app(settings)
    svc: Services = app.state.services
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    headers = {"Authorization": f"Bearer {create_api_token(svc.db, 'rev@example.com')}"}
    files = _starter()
    body = (
        b"def evaluate(expression):\n    text = expression.strip()\n    if not text:\n"
        b'        raise ValueError("empty")\n    value = eval(text)\n    return value\n'
    )
    files[INIT] = files[INIT].replace(
        b"def evaluate(expression):\n    raise NotImplementedError\n", body
    )
    eval_line = files[INIT].decode().split("\n").index("    value = eval(text)") + 1
    with TestClient(app) as client:
        submission = _submit(client, headers, files)
        assert svc.worker(name="e2e").run_once() is not None
        changes = client.get(f"/api/submissions/{submission}/changes", headers=headers).json()
    assert [f["path"] for f in changes["files"]] == [INIT]
    placed = {(f["rule"], f["file"], f["line"]): f for f in changes["findings"]}
    assert placed[("B307", INIT, eval_line)]["origin"] == "introduced"
    coverage = placed[("low-coverage", INIT, 9)]  # `sub`'s body, as the starter has it
    assert (coverage["origin"], coverage["starter_line"]) == ("inherited", 9)
    assert changes["categories"]["security"]["introduced"] >= 1
    assert changes["categories"]["coverage"]["inherited"] == 1


#: Stored reports this code cannot read: not JSON, a schema version from the future, a shape
#: its version does not have.
UNREADABLE = ("not a report", '{"schema_version": 99}', '{"score": "high", "categories": 3}')


@pytest.mark.parametrize("stored", UNREADABLE)
def test_an_unreadable_report_or_a_missing_snapshot_is_a_409(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], stored: str
) -> None:
    submission = _submit(client, reviewer_headers, _one_line_change())
    grade_all(svc)
    with svc.db.writing() as session:
        session.execute(update(StoredReport).values(json=stored))
    urls = (
        f"/api/submissions/{submission}/changes",
        f"/reviewer/submissions/{submission}/changes",
    )
    for url in urls:
        answer = client.get(url, headers=reviewer_headers)
        assert (answer.status_code, answer.json()["error"]) == (409, "report_unreadable"), url
        assert "stored report cannot be read" in answer.json()["detail"]
    page = client.get(urls[1], headers={**reviewer_headers, "Accept": "text/html"})
    assert page.status_code == 409
    assert "stored report cannot be read" in page.text
    # The snapshot gone from the blob store: a 409 that names no path.
    with svc.db.reading() as session:
        digest = session.scalars(select(Submission.snapshot_digest)).one()
    hexdigest = digest.partition(":")[2]
    (svc.blobs.root / "sha256" / hexdigest[:2] / hexdigest[2:]).unlink()
    for url in urls:
        answer = client.get(url, headers=reviewer_headers)
        assert (answer.status_code, answer.json()["error"]) == (409, "blob_unreadable"), url
        assert str(svc.settings.data_dir) not in answer.text
