"""Probes: HTTP checks of the candidate's service, from another container."""

import http.client
import os
import urllib.error
import urllib.request

import pytest

APP = os.environ["APP_URL"]


def call(method, path, body=None, headers=None):
    request = urllib.request.Request(APP + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_health():
    assert call("GET", "/healthz")[0] == 200


def test_put_then_get():
    assert call("PUT", "/items/alpha", b"one")[0] == 201
    assert call("GET", "/items/alpha") == (200, b"one")


def test_missing_is_404():
    assert call("GET", "/items/never-stored")[0] == 404


@pytest.mark.parametrize("key", ["UPPER", "a_b", "x" * 65, "..%2Fetc"])
def test_bad_keys_are_400(key):
    assert call("PUT", "/items/" + key, b"v")[0] == 400


def test_large_body_is_413():
    # Announce a body over the limit and send none of it: the service must refuse it from the
    # headers alone (a service that starts reading waits for bytes that never come: timeout).
    host, port = APP.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.putrequest("PUT", "/items/big")
    conn.putheader("Content-Length", str(1024 * 1024 + 1))
    conn.endheaders()
    assert conn.getresponse().status == 413
