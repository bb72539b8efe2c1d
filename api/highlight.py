"""Syntax highlighting of candidate files, line by line, with Pygments.

The lexer is chosen by the file name alone (never by guessing from the content) and falls back
to plain text. Every token's text goes through `markupsafe.escape`; the only markup added is
`<span class="...">` with Pygments' short class names (letters and digits), so hostile content
cannot inject HTML. Lines are those of `runner.changes` (split on "\\n"): a lexer that joins or
splits lines differently falls back to escaped plain lines rather than misnumbering them.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

__all__ = ["TOKEN_CSS", "highlight_lines"]

_RULES: list[str] = HtmlFormatter().get_token_style_defs(".code")  # type: ignore[no-untyped-call]
#: The token colours, scoped to elements of class `code` (a constant made from Pygments' style).
TOKEN_CSS = Markup("\n".join(_RULES))  # noqa: S704 - Pygments' own style, not user data


def _lexer(path: str) -> Lexer:
    try:
        return get_lexer_for_filename(path, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


def _css_class(token: _TokenType) -> str:
    found: _TokenType | None = token
    while found is not None and found not in STANDARD_TYPES:
        found = found.parent
    return STANDARD_TYPES.get(found, "") if found is not None else ""


def highlight_lines(path: str, lines: Sequence[str]) -> list[Markup]:
    """`lines` (without newlines) of the file at `path`, each as safe highlighted HTML."""
    # Pygments turns "\r" into a line break: drop it so the line count cannot shift.
    text = "\n".join(line.replace("\r", "") for line in lines)
    out: list[list[str]] = [[]]
    for token, value in _lexer(path).get_tokens(text):
        css = _css_class(token)
        for index, part in enumerate(value.split("\n")):
            if index:
                out.append([])
            if part:
                piece = str(escape(part))
                out[-1].append(f'<span class="{css}">{piece}</span>' if css else piece)
    rendered = [Markup("".join(parts)) for parts in out]  # noqa: S704 - every piece escaped
    if rendered and not rendered[-1] and len(rendered) == len(lines) + 1:
        rendered.pop()  # a lexer that added a final newline
    if len(rendered) != len(lines):
        return [escape(line) for line in lines]
    return rendered
