"""The isolated unit oracle: a call server next to the candidate, a proxy next to the tests.

This file is shipped, byte for byte, into two containers of one run (stdlib only, no imports
from this project):

- the candidate's container runs it as a *call server* (`python -I takehome_oracle.py serve`):
  it imports the candidate's modules from `/work/src` and answers JSON requests
  `{"module", "path", "args", "kwargs"}` over HTTP on 127.0.0.1 with plain JSON data;
- the trusted container runs the hidden tests with pytest, which import it as a library:
  `calc = candidate("calc")`, then `calc.evaluate("1+2")` is one request over loopback.

The two containers share only a loopback interface. Assertions run only in the trusted process,
and pytest's JUnit file is written only there, so nothing the candidate's code does can change
an outcome except the data it answers with. Values travel in a tagged encoding (`encode` /
`decode`): JSON scalars, lists and string-keyed dicts as themselves; tuples, sets, frozensets,
bytes, non-string dict keys and non-finite floats tagged. A candidate exception comes back as its
type name, the names of its classes and its message, and is raised in the tests as a subclass of
`CandidateError` *and* of the most derived built-in exception it inherits from, so
`pytest.raises(ValueError)` works as it would in-process.

Without `TAKEHOME_ORACLE_URL` in the environment (in-process mode), `candidate(name)` is simply
`importlib.import_module(name)`: the same hidden tests run in both modes.

Exception tree (the tests' side)::

    CandidateError (Exception)        the candidate's code raised, or could not be reached
    └── <built-in>-flavoured subclasses made per call, e.g. CandidateError + ValueError
"""

from __future__ import annotations

import builtins
import http.client
import importlib
import json
import math
import os
import sys
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeGuard

__all__ = [
    "MAX_MESSAGE_BYTES",
    "CandidateError",
    "UnsupportedValue",
    "candidate",
    "decode",
    "encode",
    "serve",
]

#: The largest request or answer either side accepts.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
_URL_ENV = "TAKEHOME_ORACLE_URL"
_TIMEOUT_ENV = "TAKEHOME_ORACLE_TIMEOUT"
_SRC = "/work/src"
_TAG = "__takehome__"
_MAX_DEPTH = 200


class CandidateError(Exception):
    """The candidate's code raised (`type_name`, `type_names`) or could not be reached."""

    type_name = "CandidateError"
    type_names: tuple[str, ...] = ()


class UnsupportedValue(TypeError):
    """A value that has no plain-data encoding (an object, a function, a too-deep nesting)."""


def encode(value: object, depth: int = 0) -> object:
    """`value` as JSON-ready data with tags for what JSON cannot say."""
    if depth > _MAX_DEPTH:
        raise UnsupportedValue("nesting deeper than 200 levels")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if _is_plain_dict(value):
        return {k: encode(v, depth + 1) for k, v in value.items()}
    return _tagged(value, depth)


def _encode_float(value: float) -> object:
    """A finite float as itself; nan and the infinities tagged (JSON has no word for them)."""
    return value if math.isfinite(value) else {_TAG: "float", "v": repr(value)}


def _is_plain_dict(value: object) -> TypeGuard[dict[str, object]]:
    """Whether `value` is a dict that can travel as a JSON object: string keys, none the tag."""
    return isinstance(value, dict) and all(isinstance(k, str) and k != _TAG for k in value)


def _tagged(value: object, depth: int) -> dict[str, object]:
    if isinstance(value, bytes):
        return {_TAG: "bytes", "v": value.hex()}
    if isinstance(value, dict):
        pairs = [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]
        return {_TAG: "dict", "v": pairs}
    if isinstance(value, tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return {_TAG: type(value).__name__, "v": [encode(v, depth + 1) for v in items]}
    raise UnsupportedValue(f"a {type(value).__name__} is not plain data")


def decode(data: object, depth: int = 0) -> Any:
    """The inverse of `encode`; unknown tags raise `UnsupportedValue`."""
    if depth > _MAX_DEPTH:
        raise UnsupportedValue("nesting deeper than 200 levels")
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict):
        return data
    if _TAG not in data:
        return {k: decode(v, depth + 1) for k, v in data.items()}
    return _untagged(data[_TAG], data.get("v"), depth)


#: The tagged sequences other than "dict", by tag.
_SEQUENCES: dict[object, Any] = {"tuple": tuple, "set": set, "frozenset": frozenset}


def _untagged(tag: object, raw: object, depth: int) -> Any:
    if tag == "float" and raw in ("nan", "inf", "-inf"):
        return float(str(raw))
    if tag == "bytes" and isinstance(raw, str):
        return bytes.fromhex(raw)
    if not isinstance(raw, list) or not _is_container_tag(tag):
        raise UnsupportedValue(f"unknown tagged value {str(tag)[:40]!r}")
    return _container(tag, [decode(v, depth + 1) for v in raw])


def _is_container_tag(tag: object) -> bool:
    """Whether `tag` names a dict or one of `_SEQUENCES` (an unhashable tag raises TypeError)."""
    return tag == "dict" or tag in _SEQUENCES


def _container(tag: object, items: list[Any]) -> Any:
    """The dict (from key-value pairs) or sequence of a container tag, from decoded items."""
    if tag == "dict":
        return {_hashable(k): v for k, v in items}
    if tag == "tuple":
        return tuple(items)
    return _SEQUENCES[tag](_hashable(v) for v in items)


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


# --- the trusted side: a proxy that turns attribute calls into requests ----------------------


class _Proxy:
    """`candidate("pkg.mod").Class.method(1, x=2)`: one request naming module, path, arguments."""

    def __init__(self, url: str, module: str, path: tuple[str, ...] = ()) -> None:
        self._url, self._module, self._path = url, module, path

    def __getattr__(self, name: str) -> _Proxy:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Proxy(self._url, self._module, (*self._path, name))

    def __repr__(self) -> str:
        return f"<candidate {'.'.join((self._module, *self._path))}>"

    def __call__(self, *args: object, **kwargs: object) -> Any:
        body: dict[str, object] = {"module": self._module, "path": list(self._path)}
        body.update(args=encode(list(args)), kwargs=encode(kwargs))
        return _answer(_post(self._url + "/call", body))

    def value_(self) -> Any:
        """The attribute's value itself (a constant), instead of calling it."""
        body: dict[str, object] = {"module": self._module, "path": list(self._path)}
        body["get"] = True
        return _answer(_post(self._url + "/call", body))


def candidate(module: str) -> Any:
    """The candidate's module `module`: a proxy to the call server, or the module in-process."""
    url = os.environ.get(_URL_ENV, "")
    if not url:
        return importlib.import_module(module)
    return _Proxy(url.rstrip("/"), module)


def _post(url: str, body: dict[str, object]) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    timeout = float(os.environ.get(_TIMEOUT_ENV, "30"))
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        connection.request("POST", parts.path, json.dumps(body).encode(), headers)
        raw = connection.getresponse().read(MAX_MESSAGE_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise CandidateError(f"the candidate's process did not answer: {exc}") from None
    finally:
        connection.close()
    if len(raw) > MAX_MESSAGE_BYTES:
        raise CandidateError("the candidate's answer is larger than 8 MiB")
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):
        raise CandidateError("the candidate's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise CandidateError("the candidate's answer is not a JSON object")
    return answer


def _answer(answer: dict[str, Any]) -> Any:
    if "error" in answer:
        raise _error(answer["error"])
    try:
        return decode(answer.get("value"))
    except (UnsupportedValue, TypeError, ValueError, RecursionError) as exc:
        raise CandidateError(f"the candidate's answer cannot be decoded: {exc}") from None


def _error(raw: object) -> CandidateError:
    info = raw if isinstance(raw, dict) else {}
    names = [n for n in info.get("types", []) if isinstance(n, str)][:50]
    name = str(info.get("type", "Exception"))[:200]
    message = str(info.get("message", ""))[:10_000]
    base = next((b for b in map(_builtin_exception, names) if b is not None), None)
    bases: tuple[type, ...] = (CandidateError,) if base is None else (CandidateError, base)
    try:
        cls = type(name if name.isidentifier() else "CandidateError", bases, {})
    except TypeError:  # a built-in whose layout does not mix (never expected; be safe)
        cls = CandidateError
    error: CandidateError = cls(message)
    error.type_name, error.type_names = name, tuple(names)
    return error


def _builtin_exception(name: str) -> type[Exception] | None:
    """A built-in `Exception` subclass by name; never BaseException-only classes or others."""
    found = getattr(builtins, name, None)
    if isinstance(found, type) and issubclass(found, Exception) and found is not Exception:
        return found
    return None


# --- the candidate's side: the call server ---------------------------------------------------


def _call(request: dict[str, Any]) -> dict[str, object]:
    module, path = request.get("module"), request.get("path")
    if not isinstance(module, str) or not isinstance(path, list):
        return _failure(ValueError("bad request"))
    try:
        target: Any = importlib.import_module(module)
        for name in path:
            target = getattr(target, str(name))
        if request.get("get"):
            return {"value": encode(target)}
        args, kwargs = decode(request.get("args", [])), decode(request.get("kwargs", {}))
        return {"value": encode(target(*args, **kwargs))}
    except Exception as exc:  # the candidate's exceptions are answers, not faults
        return _failure(exc)


def _failure(exc: BaseException) -> dict[str, object]:
    names = [cls.__name__ for cls in type(exc).__mro__]
    message = str(exc) if not isinstance(exc, UnsupportedValue) else f"unsupported value: {exc}"
    detail = "".join(traceback.format_exception_only(type(exc), exc))[-2000:]
    return {"error": {"type": type(exc).__name__, "types": names, "message": message,
                      "detail": detail}}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._send({"ok": True} if self.path == "/healthz" else {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != "/call" or not 0 < length <= MAX_MESSAGE_BYTES:
            self._send(_failure(ValueError("bad request")))
            return
        try:
            request = json.loads(self.rfile.read(length))
        except (ValueError, RecursionError):
            request = None
        answer = _call(request) if isinstance(request, dict) else _failure(ValueError("bad"))
        try:
            self._send(answer)
        except (TypeError, ValueError, RecursionError) as exc:
            self._send(_failure(exc))

    def _send(self, answer: dict[str, object]) -> None:
        body = json.dumps(answer, allow_nan=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the app log is the candidate's own output."""


def serve(port: int) -> None:
    """Serve calls into the candidate's code on 127.0.0.1:`port` until killed."""
    sys.path.insert(0, _SRC)
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    print(f"takehome call server on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(os.environ.get("PORT", "7000")))
