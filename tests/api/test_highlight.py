"""Syntax highlighting escapes by construction (`api.highlight`)."""

from __future__ import annotations

from pygments.formatters import HtmlFormatter

from api.highlight import TOKEN_CSS, highlight_lines


def test_token_css_is_pygments_style_unchanged_by_escaping() -> None:
    rules = HtmlFormatter().get_token_style_defs(".code")  # type: ignore[no-untyped-call]
    assert str(TOKEN_CSS) == "\n".join(rules)
    assert ".code .k {" in TOKEN_CSS


def test_hostile_source_is_escaped_in_every_token() -> None:
    lines = ['x = "</span><script>alert(1)</script>"', "# <img src=x onerror=alert(1)>", "y"]
    rendered = highlight_lines("evil.py", lines)
    assert len(rendered) == 3
    joined = "".join(rendered)
    assert "<script>" not in joined
    assert "<img" not in joined
    assert "&lt;script&gt;" in joined
    assert "&lt;img" in joined
    assert rendered[2] == '<span class="n">y</span>'


def test_unknown_file_type_is_plain_escaped_text() -> None:
    assert highlight_lines("notes.unknown-ext", ["a < b"]) == ["a &lt; b"]
