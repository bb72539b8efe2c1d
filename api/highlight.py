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
#: The token colours, scoped to elements of class `code`: Pygments' own style, escaped like any
#: other text (it holds none of `&<>"'`, so escaping leaves it as it is; a test holds that).
TOKEN_CSS = Markup("\n").join(_RULES)
_SPAN = Markup('<span class="{}">{}</span>')


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
    rendered = [Markup("").join(parts) for parts in _token_lines(_lexer(path), text)]
    if rendered and not rendered[-1] and len(rendered) == len(lines) + 1:
        rendered.pop()  # a lexer that added a final newline
    if len(rendered) != len(lines):
        return [escape(line) for line in lines]
    return rendered


def _token_lines(lexer: Lexer, text: str) -> list[list[Markup]]:
    """Each line of `text` as escaped pieces, a token's piece wrapped in its class's span."""
    out: list[list[Markup]] = [[]]
    for token, value in lexer.get_tokens(text):
        css = _css_class(token)
        for index, part in enumerate(value.split("\n")):
            if index:
                out.append([])
            if part:  # Markup.format and escape() escape every piece of text
                out[-1].append(_SPAN.format(css, part) if css else escape(part))
    return out
