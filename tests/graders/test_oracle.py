"""The isolated oracle's wire format and call server (graders/takehome_oracle.py), on the host.

The full path (call server in the candidate's container, hidden tests in a trusted one) runs in
tests/runner/test_pipeline.py (host sandbox) and tests/hostile/test_forgery.py (containers).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from graders import takehome_oracle as oracle

VALUES: list[object] = [
    None,
    True,
    3,
    2.5,
    "text",
    [1, [2, "x"]],
    (1, (2, 3)),
    {1, 2},
    frozenset({"a"}),
    b"\x00\xff",
    {"a": (1,), "__takehome__": 1},
    {(1, 2): "pair", 3: None},
    float("inf"),
    float("-inf"),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_plain_data_round_trips(value: object) -> None:
    assert oracle.decode(oracle.encode(value)) == value


def test_nan_and_refusals() -> None:
    assert math.isnan(oracle.decode(oracle.encode(float("nan"))))
    with pytest.raises(oracle.UnsupportedValue, match="not plain data"):
        oracle.encode(object())
    deep: list[object] = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(oracle.UnsupportedValue, match="nesting"):
        oracle.encode(deep)
    with pytest.raises(oracle.UnsupportedValue, match="unknown tagged"):
        oracle.decode({"__takehome__": "pickle", "v": []})


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "mod_under_test.py").write_text(
        "PI = 3.14\n"
        "class Box:\n    @staticmethod\n    def make(n, *, twice=False):\n"
        "        return {'n': n * (2 if twice else 1), 'parts': (n, n)}\n"
        "class Oops(ValueError):\n    pass\n"
        "def fail(message):\n    raise Oops(message)\n"
        "def crash():\n    raise SystemExit(3)\n"
        "def thing():\n    return object()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), oracle._Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("TAKEHOME_ORACLE_URL", url)
    yield url
    httpd.shutdown()
    httpd.server_close()


def test_calls_come_back_as_data(server: str) -> None:
    mod = oracle.candidate("mod_under_test")
    assert mod.Box.make(2, twice=True) == {"n": 4, "parts": (2, 2)}
    assert mod.PI.value_() == 3.14
    assert repr(mod.Box.make) == "<candidate mod_under_test.Box.make>"


def test_exceptions_keep_their_builtin_base(server: str) -> None:
    mod = oracle.candidate("mod_under_test")
    with pytest.raises(ValueError, match="bad input") as caught:
        mod.fail("bad input")
    assert isinstance(caught.value, oracle.CandidateError)
    assert caught.value.type_name == "Oops"
    assert caught.value.type_names[:2] == ("Oops", "ValueError")
    with pytest.raises(oracle.CandidateError, match="not plain data"):
        mod.thing()
    with pytest.raises(oracle.CandidateError) as missing:
        oracle.candidate("no_such_module").f()
    assert isinstance(missing.value, ImportError)


def test_unreachable_server_is_a_candidate_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKEHOME_ORACLE_URL", "http://127.0.0.1:9")
    with pytest.raises(oracle.CandidateError, match="did not answer"):
        oracle.candidate("anything").f()


def test_without_a_url_the_module_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAKEHOME_ORACLE_URL", raising=False)
    assert oracle.candidate("math") is math
