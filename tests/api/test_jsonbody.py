"""The JSON depth bound: exact at the limit, blind to brackets inside strings, linear in size."""

from __future__ import annotations

import json

import pytest

from api.jsonbody import MAX_JSON_DEPTH, JsonRefused, loads_bounded


def _nested(depth: int, inner: str = "1") -> bytes:
    opened = "".join("[" if i % 2 else '{"k":' for i in range(depth))
    closed = "".join("]" if i % 2 else "}" for i in reversed(range(depth)))
    return (opened + inner + closed).encode()


def test_the_limit_is_exact() -> None:
    assert loads_bounded(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(JsonRefused, match="deeper than 64"):
        loads_bounded(_nested(MAX_JSON_DEPTH + 1))


def test_brackets_in_strings_are_text() -> None:
    tricky = {"a": '[[[{{{"\\', "b": ["]]]}}}", '\\"['], "c": "\u005b" * 500}
    assert loads_bounded(json.dumps(tricky).encode()) == tricky


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b"]" * 10, b'{"a": "unterminated [[[', b"[}", b"", b"\xff\xfe", b"nope"],
)
def test_what_is_not_json_is_refused(body: bytes) -> None:
    with pytest.raises(JsonRefused):
        loads_bounded(body)


def test_a_megabyte_of_nesting_is_refused_without_recursion() -> None:
    with pytest.raises(JsonRefused, match="deeper"):
        loads_bounded(b"[" * 500_000 + b"]" * 500_000)
