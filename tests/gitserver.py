"""A real Git server on loopback for the tests: `git http-backend` behind a small HTTP server.

`GitServer` serves the bare repositories under its root over smart HTTP on 127.0.0.1 (a random
port) and makes repositories with real `git` commands (`commit` writes files in a work tree,
commits and pushes to the served bare repository). A repository named `slow*.git` never answers
until the server stops (for the wall-clock limit). `requests` records every path asked for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

__all__ = ["GitServer", "git", "git_env"]


def git_env(home: Path) -> dict[str, str]:
    """An environment for the tests' own git commands: isolated from the machine's config."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Candidate",
        "GIT_AUTHOR_EMAIL": "candidate@example.com",
        "GIT_COMMITTER_NAME": "Candidate",
        "GIT_COMMITTER_EMAIL": "candidate@example.com",
        "LC_ALL": "C",
    }


def git(*args: str | Path, cwd: Path, home: Path, env: dict[str, str] | None = None) -> str:
    """Run a git command for a test (with `env` added to `git_env`); its stdout."""
    done = subprocess.run(
        ["git", *map(str, args)],
        cwd=cwd,
        env={**git_env(home), **(env or {})},
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {args} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode().strip()


def _read_chunked(stream: object) -> bytes:
    read_line = stream.readline  # type: ignore[attr-defined]
    read = stream.read  # type: ignore[attr-defined]
    body = bytearray()
    while size := int(read_line().split(b";")[0].strip() or b"0", 16):
        body += read(size)
        read_line()
    read_line()
    return bytes(body)


class GitServer:
    """Smart-HTTP git on 127.0.0.1 over bare repositories in `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root / "served"
        self.work = root / "work"
        self.home = root / "home"
        for path in (self.root, self.work, self.home):
            path.mkdir(parents=True)
        self.requests: list[str] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.serve(self)

            def do_POST(self) -> None:
                server.serve(self)

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, in each teardown.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> GitServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, name: str) -> str:
        """The clone URL of repository `name`."""
        return f"http://127.0.0.1:{self.port}/{name}.git"

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        self.requests.append(path)
        if path.lstrip("/").startswith("slow"):
            self.stopping.wait(30)
            return
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = _read_chunked(handler.rfile)
        else:
            body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        env = {
            **git_env(self.home),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": unquote(path),
            "QUERY_STRING": query,
            "REQUEST_METHOD": handler.command,
            "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        if protocol := handler.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = protocol
        if encoding := handler.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = encoding
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def create(self, name: str) -> Path:
        """A new, empty served repository `name` (and its work tree); the work tree."""
        bare = self.root / f"{name}.git"
        git(
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            bare,
            cwd=self.root,
            home=self.home,
        )
        git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare, home=self.home)
        work = self.work / name
        git("init", "--quiet", "--initial-branch=main", work, cwd=self.work, home=self.home)
        git("remote", "add", "origin", bare, cwd=work, home=self.home)
        return work

    def commit(
        self,
        name: str,
        files: dict[str, bytes],
        *,
        branch: str = "main",
        message: str = "work",
        date: str | None = None,
        author: tuple[str, str] | None = None,
    ) -> str:
        """Write `files` into the work tree of `name` on `branch`, commit, push; the commit SHA.

        `date` (any form git reads, e.g. `2020-01-02T03:04:05+02:00`) becomes both the author
        and the committer date; `author` (name, e-mail) the author."""
        work = self.work / name
        if not work.exists():
            self.create(name)
        if branch != git("branch", "--show-current", cwd=work, home=self.home):
            git("checkout", "--quiet", "-B", branch, cwd=work, home=self.home)
        for path, data in files.items():
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        git("add", "--all", cwd=work, home=self.home)
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
        if author:
            env |= {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=work, home=self.home, env=env)
        git(
            "push",
            "--quiet",
            "--force",
            "origin",
            f"HEAD:refs/heads/{branch}",
            cwd=work,
            home=self.home,
        )
        return git("rev-parse", "HEAD", cwd=work, home=self.home)

    def remove(self, name: str) -> None:
        """Drop repository `name`."""
        shutil.rmtree(self.root / f"{name}.git", ignore_errors=True)
