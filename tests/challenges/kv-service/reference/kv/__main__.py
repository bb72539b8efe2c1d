"""`python3 -m kv`: serve the store on 127.0.0.1:$PORT."""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kv.store import MAX_BODY, Store, valid_key

STORE = Store()
PREFIX = "/items/"


class Handler(BaseHTTPRequestHandler):
    """GET/PUT of items, and a health check."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        """Health check or one item."""
        if self.path == "/healthz":
            self._reply(200, b"ok")
            return
        key = self._key()
        if key is None:
            return
        value = STORE.get(key)
        if value is None:
            self._reply(404, b"not found")
        else:
            self._reply(200, value)

    def do_PUT(self):  # noqa: N802 - the name http.server calls
        """Store one item."""
        key = self._key()
        if key is None:
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, b"too large")
            return
        STORE.put(key, self.rfile.read(length))
        self._reply(201, b"stored")

    def _key(self):
        if not self.path.startswith(PREFIX):
            self._reply(404, b"not found")
            return None
        key = self.path[len(PREFIX):]
        if not valid_key(key):
            self._reply(400, b"bad key")
            return None
        return key

    def _reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    """Serve until stopped."""
    port = int(os.environ.get("PORT", "8000"))
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
