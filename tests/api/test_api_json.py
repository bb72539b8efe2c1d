"""The JSON API for scripts and the reviewer's report page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from api.services import Services
from graders.model import CategoryResult, Finding, Report
from tests.fakeservice import grade_all, reference_archive, tar_gz


def _post(
    client: TestClient, headers: dict[str, str], fields: dict[str, str], data: bytes
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        "/api/submissions", headers=headers, data=fields, files={"archive": ("a.tgz", data)}
    )
    return response.status_code, response.json()


def test_submit_list_filter_and_read(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    make_invite: Callable[..., str],
) -> None:
    status, body = _post(
        client, reviewer_headers, {"challenge": "calculator"}, reference_archive()
    )
    assert status == 202
    status, via_invite = _post(
        client, reviewer_headers, {"invite": make_invite(who="Grace")}, tar_gz({"a.py": b"1\n"})
    )
    assert status == 202
    grade_all(svc)
    listed = client.get("/api/submissions?sort=-score", headers=reviewer_headers).json()
    assert {s["id"] for s in listed} == {body["id"], via_invite["id"]}
    assert listed[0]["score"] >= listed[1]["score"]
    assert {s["candidate"] for s in listed} == {"Grace", "(reviewer upload)"}
    assert client.get("/api/submissions?state=queued", headers=reviewer_headers).json() == []
    one = client.get(f"/api/submissions/{body['id']}", headers=reviewer_headers).json()
    assert one["state"] == "done"
    assert one["attempts"] == 1


def test_submit_refusals(client: TestClient, reviewer_headers: dict[str, str]) -> None:
    assert _post(client, reviewer_headers, {}, reference_archive())[0] == 400
    assert _post(client, reviewer_headers, {"challenge": "nope"}, reference_archive())[0] == 404
    assert _post(client, reviewer_headers, {"invite": "nope"}, reference_archive())[0] == 404
    status, body = _post(client, reviewer_headers, {"challenge": "calculator"}, b"junk" * 9)
    assert (status, body["error"]) == (415, "bad_archive")


def test_report_page_shows_everything_to_the_reviewer(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
) -> None:
    _status, body = _post(
        client, reviewer_headers, {"challenge": "calculator"}, reference_archive()
    )
    grade_all(svc)
    page = client.get(f"/reviewer/submissions/{body['id']}", headers=reviewer_headers).text
    assert "HIDDEN-ORACLE-SECRET" in page  # the reviewer sees hidden-test messages
    assert "<svg" in page
    assert "Provenance" in page
    compare = client.get("/reviewer/challenges/calculator/compare", headers=reviewer_headers)
    assert body["id"] in compare.text


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/i/{token}/submissions" in paths
    assert "/api/submissions/{submission_id}/report.sarif" in paths
    assert paths["/api/submissions"]["post"]["description"]


def test_report_page_quotes_the_code_around_a_finding(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
) -> None:
    source = b"".join(f"line_{n} = {n}\n".encode() for n in range(1, 11))
    _status, body = _post(
        client,
        reviewer_headers,
        {"challenge": "calculator"},
        tar_gz({"calc/x.py": source, "README.md": b"hi\n"}),
    )
    claim = svc.queue.claim("w")
    assert claim is not None
    finding = Finding(rule="B307", message="<script>eval</script>", file="calc/x.py", line=5)
    security = CategoryResult(name="security", score=75, summary="1", findings=(finding,))
    assert svc.queue.complete(claim, Report(score=75, categories={"security": security}))
    page = client.get(f"/reviewer/submissions/{body['id']}", headers=reviewer_headers).text
    assert "line_3 = 3" in page
    assert '<span class="hl">   5  line_5 = 5</span>' in page
    assert "line_8 = 8" not in page
    assert "<script>eval" not in page  # escaped
    assert "&lt;script&gt;eval" in page
