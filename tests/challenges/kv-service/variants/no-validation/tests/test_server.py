import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

import pytest

from kv.__main__ import Handler


@pytest.fixture
def url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def call(url, method, path, body=None):
    request = urllib.request.Request(url + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_health(url):
    assert call(url, "GET", "/healthz") == (200, b"ok")


def test_round_trip(url):
    assert call(url, "PUT", "/items/k", b"v")[0] == 201
    assert call(url, "GET", "/items/k") == (200, b"v")
    assert call(url, "GET", "/items/other")[0] == 404


def test_rejections(url):
    assert call(url, "PUT", "/items/BAD", b"v")[0] == 400
    assert call(url, "GET", "/elsewhere")[0] == 404
    assert call(url, "PUT", "/items/big", b"x" * (1024 * 1024 + 1))[0] == 413
