"""The interactive API docs (`/docs`), served from this service alone.

FastAPI's own `/docs` and `/redoc` load Swagger UI and ReDoc from a CDN (a floating major
version, no integrity check) and run them on the reviewers' origin, where the session cookie
lives; offline they do not work at all. Here Swagger UI's files come from the `fastapi-offline`
package (its `static/` folder, pinned by the package version; we use its files, not its app
factory) under `/docs/assets/`, and the page's one script that starts Swagger UI is a file of
its own (`/docs/assets/start.js`), not inline, so the page runs under the same `'self'`-only
Content-Security-Policy as every other page (`api.app._SECURITY_HEADERS`): nothing is loaded
from, or sent to, another origin. ReDoc is not served (its worker needs `blob:` scripts).

`settings.docs_enabled` false: neither `/docs` nor `/openapi.json` is served.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from runner.settings import Settings

__all__ = ["DOCS_ASSETS", "install_docs", "openapi_url"]

DOCS_ASSETS = "/docs/assets"
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/start.js"></script>
</body>
</html>
"""
_START = """"use strict";
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
});
"""


def openapi_url(settings: Settings) -> str | None:
    """Where the OpenAPI schema is served: None (nowhere) unless `settings.docs_enabled`."""
    return "/openapi.json" if settings.docs_enabled else None


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` over the app's OpenAPI schema, with self-hosted assets;
    nothing when the app serves no schema (`docs_enabled` false)."""
    if app.openapi_url is None:
        return
    static = resources.files("fastapi_offline") / "static"
    page = _PAGE.format(title=app.title, assets=DOCS_ASSETS, openapi=app.openapi_url)

    @app.get(f"{DOCS_ASSETS}/start.js", include_in_schema=False)
    def docs_start() -> Response:
        return Response(_START, media_type="text/javascript")

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(static)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)
