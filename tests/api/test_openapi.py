"""The OpenAPI document (issue 16): valid for openapi-spec-validator, the security schemes, the one
`Error` schema every error answer has, the bodies read by hand and the exports' media types.
Schemathesis checks the live answers against it (`tests/hostile/test_schema_fuzz.py`)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.auth import CurrentReviewer
from api.openapi import ERROR_SCHEMA, install_openapi, problems

_EITHER: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
_ERROR_REF = "#/components/schemas/Error"


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises on any violation of the OpenAPI 3.1 specification
    assert document["openapi"].startswith("3.1")
    assert len(_operations(document)) >= 55


def test_security_schemes_bearer_and_session_cookie(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    session = schemes["session"]
    assert (session["type"], session["in"], session["name"]) == (
        "apiKey",
        "cookie",
        "takehome_session",
    )
    assert "X-CSRF-Token" in session["description"]


def test_each_operation_names_its_security(document: dict[str, Any]) -> None:
    for method, path, op in _operations(document):
        reviewer = path.startswith(("/api/", "/reviewer"))
        assert op["security"] == (_EITHER if reviewer else []), (method, path)
        if reviewer:
            assert "401" in op["responses"], (method, path)
        if path.startswith("/i/{token}"):
            token = [p for p in op["parameters"] if p["name"] == "token"]
            assert token[0]["in"] == "path", (method, path)


def test_every_error_answer_has_the_one_error_schema(document: dict[str, Any]) -> None:
    assert document["components"]["schemas"]["Error"] == ERROR_SCHEMA
    assert "HTTPValidationError" not in document["components"]["schemas"]
    counted = 0
    for method, path, op in _operations(document):
        for status, answer in op["responses"].items():
            if not status.startswith("4"):
                continue
            counted += 1
            json_body = answer["content"]["application/json"]["schema"]
            assert json_body == {"$ref": _ERROR_REF}, (method, path, status)
            assert "text/html" in answer["content"], (method, path, status)
    assert counted > 200


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/api/challenges", {"401"}),
        ("GET", "/api/submissions/{submission_id}", {"401", "404"}),
        ("POST", "/api/invites", {"400", "401", "403", "404", "408", "413", "422"}),
        (
            "POST",
            "/api/submissions",
            {"400", "401", "403", "404", "409", "413", "415", "422", "429", "503"},
        ),
        ("POST", "/i/{token}/submissions", {"403", "404", "409", "410", "413", "415", "429"}),
        ("GET", "/i/{token}/starter.zip", {"404", "409", "410", "503"}),
        ("POST", "/webhooks/github/{binding_id}", {"400", "401", "404", "409", "413", "503"}),
        ("GET", "/reviewer", {"303", "401"}),
    ],
)
def test_routes_list_the_errors_they_answer(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    listed = set(document["paths"][path][method.lower()]["responses"])
    assert statuses <= listed, statuses - listed


def test_uploads_and_webhooks_document_their_bodies(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in ("/api/submissions", "/i/{token}/submissions"):
        body = paths[path]["post"]["requestBody"]["content"]
        multipart = body["multipart/form-data"]["schema"]
        assert multipart["required"] == ["archive"]
        assert multipart["properties"]["archive"]["format"] == "binary"
        for kind in ("application/json", "application/x-www-form-urlencoded"):
            assert body[kind]["schema"]["required"] == ["git_url"]
    api_upload = paths["/api/submissions"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert {"challenge", "invite"} <= set(api_upload["schema"]["properties"])
    github = paths["/webhooks/github/{binding_id}"]["post"]
    assert github["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "ref",
        "after",
        "repository",
    ]
    form = github["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["payload"]
    headers = {p["name"]: p for p in github["parameters"] if p["in"] == "header"}
    assert headers["X-Hub-Signature-256"]["required"] is True
    gitlab = paths["/webhooks/gitlab/{binding_id}"]["post"]
    assert set(gitlab["requestBody"]["content"]) == {"application/json"}
    assert any(p["name"] == "X-Gitlab-Token" for p in gitlab["parameters"])


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/submissions/{submission_id}/report.junit.xml", "application/xml"),
        ("/api/submissions/{submission_id}/report.sarif", "application/sarif+json"),
        ("/api/submissions/{submission_id}/report.gradescope.json", "application/json"),
        ("/api/challenges/{challenge_id}/submissions.csv", "text/csv"),
        ("/i/{token}/starter.zip", "application/zip"),
        ("/i/{token}/starter.tar.gz", "application/gzip"),
        ("/metrics", "text/plain"),
        ("/reviewer", "text/html"),
    ],
)
def test_exports_and_pages_have_their_real_media_types(
    document: dict[str, Any], path: str, media_type: str
) -> None:
    assert set(document["paths"][path]["get"]["responses"]["200"]["content"]) == {media_type}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/challenges", 401, "not_authenticated"),
        ("GET", "/i/no-such-token", 404, "not_found"),
        ("GET", "/api/challenges/calculator/submissions.csv?bom=maybe", 401, "not_authenticated"),
        ("DELETE", "/api/challenges", 405, "method_not_allowed"),
        ("GET", "/no/such/route", 404, "not_found"),
    ],
)
def test_the_answers_have_the_error_schema(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    body = answer.json()
    jsonschema_rs.validate(ERROR_SCHEMA, body)
    assert body["error"] == code


def test_fastapis_validation_errors_answer_in_the_error_shape(
    client: TestClient, reviewer_headers: dict[str, str]
) -> None:
    answer = client.post("/api/invites", json={"candidate": 5}, headers=reviewer_headers)
    assert answer.status_code == 422
    body = answer.json()
    jsonschema_rs.validate(ERROR_SCHEMA, body)
    assert body["error"] == "invalid_request"
    assert "body.challenge: Field required" in body["detail"]
    assert "body.candidate" in body["detail"]
    page = client.post(
        "/api/invites",
        json={},
        headers={**reviewer_headers, "Accept": "text/html"},
    )
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")


def test_a_routes_errors_follow_from_its_shape() -> None:
    """`install_openapi` derives the statuses from the route: no route lists them by hand."""
    app = FastAPI()

    @app.post("/things/{thing}", responses=problems(409))
    def change(thing: str, reviewer: CurrentReviewer, limit: int = 1) -> dict[str, str]:
        del reviewer, limit
        return {"thing": thing}

    @app.get("/open")
    def look() -> dict[str, str]:
        return {}

    install_openapi(app)
    paths = app.openapi()["paths"]
    changed = paths["/things/{thing}"]["post"]
    expected = {"200", "400", "401", "403", "404", "408", "409", "413", "422"}
    assert set(changed["responses"]) == expected
    assert changed["security"] == _EITHER
    assert changed["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": _ERROR_REF
    }
    looked = paths["/open"]["get"]
    assert set(looked["responses"]) == {"200"}
    assert looked["security"] == []
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]
