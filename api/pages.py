"""HTML rendering: Jinja2 templates (autoescaped), content negotiation and the brief's markdown.

The brief is markdown written by the challenge author, rendered by markdown-it-py with raw HTML
disabled (it is escaped, not passed through) and its link validator on (no `javascript:` links),
so the page holds only the markup markdown itself produces.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.responses import Response

__all__ = ["markdown_html", "render", "wants_html"]

_ENV = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    auto_reload=False,
)
_TEMPLATES = Jinja2Templates(env=_ENV)
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown_html(text: str) -> Markup:
    """The brief as safe HTML."""
    return Markup(_MARKDOWN.render(text))  # noqa: S704 - raw HTML is disabled in the renderer


def wants_html(request: Request) -> bool:
    """Whether the client prefers an HTML page over JSON (a browser, not a script)."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render template `name` with `context` (and `request`)."""
    return _TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
