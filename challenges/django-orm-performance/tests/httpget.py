"""A GET to the app over the shared loopback, timed from the probes' side."""

from __future__ import annotations

import http.client
import os
import time
import urllib.parse

APP_URL = os.environ.get("APP_URL", "http://127.0.0.1:8000")
TIMEOUT = 120


def get(path: str) -> tuple[int, bytes, float]:
    """Status, body and wall seconds of `GET path`."""
    parts = urllib.parse.urlsplit(APP_URL)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                      timeout=TIMEOUT)  # fmt: skip
    start = time.perf_counter()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, body, time.perf_counter() - start
