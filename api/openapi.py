"""The OpenAPI document made complete: security, hand-read bodies, media types, error answers.

FastAPI documents what it parses itself (parameters, pydantic bodies, the JSON a route returns).
The rest comes from here:

- **Security.** `api.auth.current_reviewer` depends on FastAPI's `HTTPBearer` (`bearer`) and
  `APIKeyCookie` (`session`) schemes, so FastAPI lists both as components and gives every
  reviewer route `security: [{bearer: []}, {session: []}]` (either one). `install_openapi`
  gives every other operation an explicit `security: []`: the candidate's routes have the
  invite token in the path as their key, the webhooks their signature header, `/login` and the
  probes nothing.
- **Errors.** Every error the service answers has one body, `{"error", "detail", "message"?}`
  (`api.errors`), declared once as the `Error` component (`ERROR_SCHEMA`), or an HTML page when
  the client asked for one. `install_openapi` walks the routes when the document is built and
  adds the statuses each route's shape implies (`implied_errors`):

  | the route has                                  | statuses                                  |
  |------------------------------------------------|-------------------------------------------|
  | `current_reviewer` among its dependencies      | 401; 403 too for unsafe methods (CSRF)    |
  | a path parameter                               | 404 (no such invite, submission, ...)     |
  | a query, form or pydantic body parameter       | 422 (`invalid_request`, FastAPI's check)  |
  | an unsafe method (POST, PUT, PATCH, DELETE)    | 400, 408 and 413 (`api.limits`)           |

  A route declares in its decorator only the statuses its own domain adds:
  `responses=problems(409, 429)`. A status a route declares itself is kept as declared.
- **Bodies read by hand** (multipart uploads, Git fields, webhook payloads, review forms) are
  described by `request_body(...)` in the route's `openapi_extra`.
- **Media types** other than JSON: `content(...)` with `response_class=Response` (an export's
  XML, SARIF, CSV or archive) or `response_class=HTMLResponse` (a page).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.auth import current_reviewer

__all__ = [
    "CSRF_FORM",
    "ERROR_SCHEMA",
    "HTML",
    "Responses",
    "content",
    "form_fields",
    "implied_errors",
    "install_openapi",
    "problems",
    "redirect",
    "request_body",
    "upload_body",
    "webhook_body",
]

Responses = dict[int | str, dict[str, Any]]
"""A route's `responses=`: status -> OpenAPI response object."""

_TEXT: dict[str, Any] = {"type": "string"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {**_TEXT, "description": "A stable code, e.g. `not_found`, `queue_full`."},
        "detail": {**_TEXT, "description": "What was refused, and why."},
        "message": {**_TEXT, "description": "A sentence for people, for some codes."},
    },
    "description": "The one body of every error answer (`api.errors`).",
}
"""The `Error` component: what `api.errors` answers for every refusal (JSON clients)."""
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
#: A rendered page (its schema: a string).
HTML: dict[str, Any] = {"text/html": {"schema": _TEXT}}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": _TEXT}
}
_STATUS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("A malformed request: its body, form or fields could not be read as sent.", {}),
    401: (
        "`not_authenticated`: no valid API token or session (`bad_signature` for a webhook).",
        {"WWW-Authenticate": {"description": "`Bearer` (reviewer routes)", "schema": _TEXT}},
    ),
    403: ("Refused: `csrf`, `deadline_passed`, `address_refused`, `review_first`, ...", {}),
    404: ("`not_found`: no such invite, submission, challenge, review or binding.", {}),
    408: ("`body_timeout`: the request body stopped arriving.", {}),
    409: ("A conflict: `limit_reached`, `not_started`.", {}),
    410: ("`invite_expired`: the invite has expired.", {}),
    411: ("`length_required`: a Git form without its Content-Length.", {}),
    413: ("`too_large`: the body, archive or repository is larger than allowed.", {}),
    415: ("`wrong_content_type` or `bad_archive`: not a body this route reads.", {}),
    422: ("`invalid_request` (a parameter not of its type), or the domain's refusal.", {}),
    429: ("`rate_limited` or `queue_full` (one challenge's queue).", _RETRY_AFTER),
    503: (
        "`queue_full`, `git_unavailable` or `starter_unavailable`: try again later.",
        _RETRY_AFTER,
    ),
}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problems(*statuses: int, **descriptions: str) -> Responses:
    """Error responses with the shared `Error` body (or an HTML page) for `statuses`; a
    description other than the standard one by keyword: `problems(409, s409="...")`."""
    found: Responses = {}
    for status in statuses:
        text, headers = _STATUS[status]
        answer: dict[str, Any] = {
            "description": descriptions.get(f"s{status}", text),
            "content": {"application/json": {"schema": _ERROR_REF}, **HTML},
        }
        if headers:
            answer["headers"] = headers
        found[status] = answer
    return found


def content(
    description: str, *media_types: str, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A success response of `media_types` (each with `schema`, a string by default)."""
    body = schema if schema is not None else _TEXT
    return {"description": description, "content": {m: {"schema": body} for m in media_types}}


def redirect(description: str) -> dict[str, Any]:
    """A `303 See Other` (a browser form's answer), with its `Location`."""
    return {
        "description": description,
        "headers": {"Location": {"description": "Where to go next.", "schema": _TEXT}},
    }


def form_fields(
    *names: str, required: tuple[str, ...] = (), choices: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """An object schema of text fields `names` (`required` among them; `choices`: a field's
    allowed values)."""
    allowed = choices or {}
    properties = {n: {"enum": list(allowed[n])} if n in allowed else _TEXT for n in names}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def request_body(
    description: str, media: dict[str, dict[str, Any]], *, required: bool = True
) -> dict[str, Any]:
    """`openapi_extra` documenting a body the route reads by hand: media type -> schema."""
    types = {name: {"schema": schema} for name, schema in media.items()}
    return {"requestBody": {"required": required, "description": description, "content": types}}


#: `openapi_extra` of a form with no field but its CSRF token (or send `X-CSRF-Token`).
CSRF_FORM = request_body(
    "The page's CSRF token, as this form field or in the `X-CSRF-Token` header.",
    {"application/x-www-form-urlencoded": {"type": "object", "properties": {"csrf_token": _TEXT}}},
    required=False,
)


def upload_body(*, candidate: bool = False) -> dict[str, Any]:
    """`openapi_extra` of a submission (`api.uploads`, `api.gitsubmit`): a multipart archive,
    or the Git fields as JSON or an urlencoded form; a reviewer's names a challenge or invite."""
    target: dict[str, Any] = {} if candidate else {"challenge": _TEXT, "invite": _TEXT}
    named: dict[str, Any] = (
        {} if candidate else {"anyOf": [{"required": ["challenge"]}, {"required": ["invite"]}]}
    )
    archive = {
        "type": "string",
        "format": "binary",
        "description": "A .zip, .tar or .tar.gz of the project.",
    }
    git = {
        "type": "object",
        "required": ["git_url"],
        "properties": {"git_url": _TEXT, "ref": _TEXT, **target},
        **named,
    }
    return request_body(
        "The archive as multipart/form-data (field `archive`), or a public repository to fetch"
        " (`git_url`, optional `ref`) as JSON or an urlencoded form."
        + ("" if candidate else " Name the `challenge` (an id) or the `invite` (a token)."),
        {
            "multipart/form-data": {
                "type": "object",
                "required": ["archive"],
                "properties": {"archive": archive, **target},
                **named,
            },
            "application/json": git,
            "application/x-www-form-urlencoded": git,
        },
    )


def _object(required: tuple[str, ...], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


def _header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": _TEXT,
    }


_URLS = ("clone_url", "html_url", "url")
_GITHUB_PUSH = _object(
    ("ref", "after", "repository"),
    ref=_TEXT,
    before=_TEXT,
    after=_TEXT,
    deleted={"type": "boolean"},
    repository=_object(("clone_url",), **dict.fromkeys(_URLS, _TEXT)),
)
_GITLAB_PUSH = _object(
    ("ref", "after", "project"),
    object_kind=_TEXT,
    ref=_TEXT,
    before=_TEXT,
    after=_TEXT,
    checkout_sha={"type": ["string", "null"]},
    project=_object(("git_http_url",), git_http_url=_TEXT, web_url=_TEXT),
    repository=_object((), git_http_url=_TEXT),
)
_WEBHOOKS: dict[str, tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]] = {
    "github": (
        {
            "application/json": _GITHUB_PUSH,
            "application/x-www-form-urlencoded": _object(
                ("payload",),
                payload={**_TEXT, "description": "The same payload as JSON text."},
            ),
        },
        [
            _header(
                "X-Hub-Signature-256",
                "`sha256=` and the hex HMAC-SHA256 of the raw body under the binding's secret.",
                required=True,
            ),
            _header("X-GitHub-Event", "`push` is graded, `ping` answers pong."),
            _header("X-GitHub-Delivery", "The delivery's id: a redelivery is answered once."),
        ],
    ),
    "gitlab": (
        {"application/json": _GITLAB_PUSH},
        [
            _header("X-Gitlab-Token", "The binding's secret token.", required=True),
            _header("X-Gitlab-Event", "`Push Hook` is graded."),
            _header("Idempotency-Key", "The delivery's id (GitLab 17.4 and later)."),
            _header("X-Gitlab-Event-UUID", "The event's id, when there is no Idempotency-Key."),
        ],
    ),
}


def webhook_body(provider: str) -> dict[str, Any]:
    """`openapi_extra` of a webhook (`api.routes.webhooks`): the push payload (GitHub's also as
    its form content type, `payload=<JSON>`) and the headers it is checked by."""
    media, headers = _WEBHOOKS[provider]
    body = request_body(
        f"A {provider} delivery: a push event's payload (other events are answered 200"
        " `ignored`, their payload unread). The signature covers the raw body.",
        media,
    )
    return {**body, "parameters": headers}


class _RouteLike(Protocol):
    """What `implied_errors` reads of a route: an `APIRoute`, or FastAPI's context of one
    included through a router (`fastapi.routing.RouteContext`)."""

    dependant: Dependant
    methods: set[str]
    body_field: Any


def _dependencies(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_dependencies(sub))
    return found


def _authenticated(route: _RouteLike) -> bool:
    return any(d.call is current_reviewer for d in _dependencies(route.dependant))


def implied_errors(route: _RouteLike) -> list[int]:
    """The error statuses the route's shape implies (the table in this module's docstring)."""
    statuses: set[int] = set()
    unsafe = bool(route.methods & _UNSAFE)
    if _authenticated(route):
        statuses |= {401, 403} if unsafe else {401}
    dependants = _dependencies(route.dependant)
    if any(d.path_params for d in dependants):
        statuses.add(404)
    if route.body_field is not None or any(d.query_params for d in dependants):
        statuses.add(422)
    if unsafe:
        statuses |= {400, 408, 413}
    return sorted(statuses)


def _complete(document: dict[str, Any], route: _RouteLike, path: str) -> None:
    """Add the route's implied errors (where it declares none of that status) and, unless it
    authenticates a reviewer, `security: []`, to its operations in `document`."""
    statuses = implied_errors(route)
    for method in route.methods:
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue  # HEAD of a GET: not in the document
        declared = operation["responses"]
        if _fastapis_422(declared.get("422")):
            del declared["422"]  # FastAPI's own shape: `api.errors` answers with `Error`
        implied = problems(*statuses)
        if method == "GET" and 401 in statuses and "text/html" in _content(declared, "200"):
            implied[303] = redirect("Not logged in, in a browser: to `/login?next=...`.")
        answers = {**{str(k): v for k, v in implied.items()}, **declared}
        operation["responses"] = dict(sorted(answers.items()))
        if not _authenticated(route):
            operation.setdefault("security", [])


def _fastapis_422(answer: dict[str, Any] | None) -> bool:
    schema = _content({"422": answer or {}}, "422").get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def _content(responses: dict[str, Any], status: str) -> dict[str, Any]:
    return cast(dict[str, Any], responses.get(status, {}).get("content", {}))


def _drop_unused(document: dict[str, Any]) -> None:
    """Drop FastAPI's validation error schemas once no operation refers to them."""
    schemas = document["components"]["schemas"]
    if '/HTTPValidationError"' not in json.dumps(document["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)  # referred to by HTTPValidationError only


def _document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            _complete(document, cast(_RouteLike, context), str(context.path_format))
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    _drop_unused(document)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `app`'s OpenAPI document completed: every route's implied error answers, explicit
    `security: []` where no reviewer is needed, and the `Error` component."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
