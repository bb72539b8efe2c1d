"""The probes' HTTP client: stdlib only, cookies kept by hand, redirects never followed.

Cookies are managed here rather than by `http.cookiejar` so that `Secure` cookies still go back
to the app over plain HTTP on loopback, and so that a probe can read every `Set-Cookie` flag.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

APP_URL = os.environ.get("APP_URL", "http://127.0.0.1:8000")
#: The staff account the app is started with (`challenge.toml`, `[service] command`).
STAFF_USER, STAFF_PASSWORD = "ops-admin", "Ops-Admin-Pass-2024"
TIMEOUT = 20

_CSRF_INPUT = re.compile(r'name=["\']csrfmiddlewaretoken["\']\s+value=["\']([^"\']+)["\']')
_CSRF_INPUT_REV = re.compile(r'value=["\']([^"\']+)["\']\s+name=["\']csrfmiddlewaretoken["\']')
_NOTE_LOCATION = re.compile(r"/notes/(\d+)/?$")


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: str
    raw: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def set_cookies(self) -> list[str]:
        return [value for key, value in self.headers if key.lower() == "set-cookie"]

    @property
    def location(self) -> str:
        return self.header("Location") or ""


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(5)}"


@dataclass
class Client:
    """One browser: its own cookies."""

    cookies: dict[str, str] = field(default_factory=dict)
    username: str = ""
    password: str = ""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        cookies: bool = True,
    ) -> Response:
        parts = urllib.parse.urlsplit(APP_URL)
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT)
        sent = dict(headers or {})
        if cookies and self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            result = Response(response.status, response.getheaders(), "", raw)
        finally:
            conn.close()
        result.body = raw.decode("utf-8", errors="replace")
        self._remember(result)
        return result

    def _remember(self, response: Response) -> None:
        for line in response.set_cookies():
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(line)
            except Exception:  # an odd cookie must not break a probe
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, **query: str) -> Response:
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.request("GET", path)

    def token(self, page: str | None = None) -> str:
        """A CSRF token: from a form on `page` (default: a page with a form), else the cookie."""
        page = page or ("/notes/new/" if self.username else "/accounts/login/")
        html = self.get(page).body
        found = _CSRF_INPUT.search(html) or _CSRF_INPUT_REV.search(html)
        if found:
            return found.group(1)
        return self.cookies.get("csrftoken", "")

    def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        token_page: str | None = None,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Response:
        data = dict(fields or {})
        if csrf:
            data["csrfmiddlewaretoken"] = self.token(token_page)
        body = urllib.parse.urlencode(data).encode()
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body=body, headers=sent)

    def upload(self, path: str, filename: str, content: bytes, token_page: str) -> Response:
        boundary = "----probe" + secrets.token_hex(8)
        token = self.token(token_page)
        chunks = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        sent = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, body=b"".join(chunks), headers=sent)

    # --- app-level steps ---------------------------------------------------------------------

    def signup(self, prefix: str) -> Response:
        self.username = unique(prefix)
        self.password = "Pw-" + secrets.token_hex(8) + "-x9!"
        fields = {
            "username": self.username,
            "email": f"{self.username}@example.com",
            "password1": self.password,
            "password2": self.password,
        }
        response = self.post("/accounts/signup/", fields, token_page="/accounts/signup/")
        assert response.status in (302, 303), f"signup failed: HTTP {response.status}"
        return response

    def login(self, next_url: str | None = None) -> Response:
        fields = {"username": self.username, "password": self.password}
        page = "/accounts/login/"
        if next_url is not None:
            fields["next"] = next_url
            page += "?" + urllib.parse.urlencode({"next": next_url})
        return self.post(page, fields, token_page=page)

    def create_note(self, title: str, body: str = "", tags: str = "", public: bool = False) -> int:
        fields = {"title": title, "body": body, "tags": tags}
        if public:
            fields["is_public"] = "on"
        response = self.post("/notes/new/", fields, token_page="/notes/new/")
        found = _NOTE_LOCATION.search(urllib.parse.urlsplit(response.location).path)
        assert response.status in (302, 303) and found, (
            f"creating a note: HTTP {response.status}, Location {response.location!r}"
        )
        return int(found.group(1))


def new_user(prefix: str) -> Client:
    client = Client()
    client.signup(prefix)
    return client


def staff_client() -> Client:
    client = Client(username=STAFF_USER, password=STAFF_PASSWORD)
    response = client.login()
    assert response.status in (302, 303), f"staff login failed: HTTP {response.status}"
    return client
