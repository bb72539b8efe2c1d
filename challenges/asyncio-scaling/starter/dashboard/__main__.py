"""`python -m dashboard`: serve on 127.0.0.1:$PORT (default 8000)."""

import json
import os
import re
from http.server import BaseHTTPRequestHandler, HTTPServer

from dashboard import upstreams
from dashboard.aggregate import build_dashboard

USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PREFIX = "/dashboard/"


class Handler(BaseHTTPRequestHandler):
    """`GET /healthz` and `GET /dashboard/<user_id>`."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        """Route one GET request."""
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
            return
        if not self.path.startswith(PREFIX):
            self._reply(404, {"error": "not found"})
            return
        user_id = self.path[len(PREFIX):]
        if not USER_ID.match(user_id):
            self._reply(400, {"error": "bad user id"})
            return
        try:
            profile = upstreams.get_profile(user_id)
        except upstreams.NotFoundError:
            self._reply(404, {"error": "unknown user"})
            return
        orders = upstreams.get_orders(user_id)
        recommendations = upstreams.get_recommendations(user_id)
        self._reply(200, build_dashboard(user_id, profile, orders, recommendations))

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 - the signature http.server calls
        """Keep quiet: one line per request is too much under load."""


def main():
    """Serve until stopped."""
    port = int(os.environ.get("PORT", "8000"))
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
