"""Parsing a JSON request body with its nesting bounded before the parser sees it.

`json.loads` recurses once per nested array or object: a few kilobytes of `[` raise
`RecursionError`, which no handler expects (a 500). `loads_bounded` measures the nesting first,
at C speed and without recursion: strings are cut out (so brackets inside them do not count),
every other byte but the brackets dropped, then innermost `[]` pairs removed once per level; a
body deeper than `max_depth`, or whose brackets do not pair up (not JSON either), is refused
with `JsonRefused` before `json.loads` runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonRefused", "loads_bounded"]

MAX_JSON_DEPTH = 64
"""Nesting allowed in a JSON body (a GitHub push payload nests 4 levels; GitLab's 3)."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear, no backtracking
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


class JsonRefused(ValueError):
    """The body is not JSON, or nests deeper than allowed."""


def _depth(body: bytes, limit: int) -> int:
    """The body's bracket nesting, up to `limit` + 1; raises `JsonRefused` on unpaired ones."""
    brackets = _STRING.sub(b"", body).translate(_AS_SQUARE, _NOT_BRACKETS)
    depth = 0
    while brackets and depth <= limit:
        fewer = brackets.replace(b"[]", b"")
        if fewer == brackets:
            raise JsonRefused("the body's brackets do not pair up: it is not JSON")
        brackets, depth = fewer, depth + 1
    return depth


def loads_bounded(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads(body)`, refused with `JsonRefused` when it is not JSON or nests deeper than
    `max_depth` arrays and objects."""
    if _depth(body, max_depth) > max_depth:
        raise JsonRefused(f"the JSON nests deeper than {max_depth} levels")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JsonRefused("the body is not valid JSON") from None
