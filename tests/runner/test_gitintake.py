"""Git intake against a real Git server on loopback: what is fetched, and what never is.

Refusals of URLs and addresses happen before git starts: those tests forbid starting any process
(a guard that fails the test), so a refused address is provably never connected to.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runner.gitintake import (
    GitAddressRefused,
    GitFetchFailed,
    GitPolicy,
    GitRefRefused,
    GitTimeout,
    GitTooLarge,
    GitUnavailable,
    GitUnreachable,
    GitUrlRefused,
    check_url,
    clone_snapshot,
    normalise_repo_url,
)
from runner.intake import IntakeError
from tests.gitserver import GitServer, git

LOOPBACK = GitPolicy(allowed_hosts=frozenset({"127.0.0.1"}), allow_loopback=True, allow_http=True)


@pytest.fixture
def no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to start git."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)  # the module _clone calls


@pytest.mark.parametrize(
    "url",
    [
        "--upload-pack=touch /tmp/takehome-pwned",
        "-uhttps://github.com/a/b",
        "ext::sh -c touch% /tmp/takehome-pwned",
        "file:///etc",
        "ssh://github.com/a/b.git",
        "git@github.com:a/b.git",
        "git://github.com/a/b.git",
        "http://github.com/a/b.git",
        "https://user:token@github.com/a/b.git",
        "https://evil.example/a/b.git",
        "https://github.com/a/b.git?upload-pack=x",
        "https://github.com/",
        "https://github.com/a/b c",
        "",
    ],
)
def test_refused_urls_never_start_git(url: str, no_process: None) -> None:
    with pytest.raises(GitUrlRefused) as caught:
        clone_snapshot(url, None, GitPolicy())
    assert caught.value.reason in {"url_refused", "address_refused"}


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "169.254.169.254",
        "192.168.1.10",
        "172.16.0.1",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - refused, never bound
        "127.0.0.1",
        "::1",
        "::ffff:10.0.0.1",
        "fd00:ec2::254",
        "fe80::1",
    ],
)
def test_internal_addresses_are_refused_before_any_connection(host: str, no_process: None) -> None:
    # The host is on the allow-list, so the address rule is what refuses it; loopback disallowed.
    policy = GitPolicy(allowed_hosts=frozenset({host}))
    literal = f"[{host}]" if ":" in host else host
    with pytest.raises(GitAddressRefused):
        clone_snapshot(f"https://{literal}/team/repo.git", None, policy)


def test_a_name_is_resolved_and_every_address_checked(no_process: None) -> None:
    asked: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["140.82.112.3", "10.1.2.3"]  # one public, one private: refused

    policy = GitPolicy(allowed_hosts=frozenset({"git.example.com"}), resolver=resolver)
    with pytest.raises(GitAddressRefused, match=r"10\.1\.2\.3"):
        clone_snapshot("https://git.example.com/a/b.git", None, policy)
    assert asked == [("git.example.com", 443)]


def test_a_public_address_is_pinned_for_git() -> None:
    policy = GitPolicy(resolver=lambda _host, _port: ["140.82.112.3"])
    checked = check_url("https://github.com/a/b.git", policy)
    assert checked.curl_resolve() == "github.com:443:140.82.112.3"


@pytest.mark.parametrize(
    "ref",
    ["--upload-pack=touch x", "-b", "main..dev", "HEAD~1", "a b", "@{-1}", "x/.hidden", "b.lock"],
)
def test_refused_refs_never_start_git(ref: str, no_process: None) -> None:
    with pytest.raises(GitRefRefused):
        clone_snapshot("http://127.0.0.1:9/a.git", ref, LOOPBACK)


def test_default_branch_a_branch_and_a_commit(git_server: GitServer) -> None:
    first = git_server.commit("demo", {"app.py": b"print(1)\n", "pkg/mod.py": b"X = 1\n"})
    feature = git_server.commit("demo", {"extra.py": b"Y = 2\n"}, branch="feature")
    url = git_server.url("demo")

    head = clone_snapshot(url, None, LOOPBACK)
    assert (head.commit_sha, head.ref) == (first, "HEAD")
    assert sorted(head.snapshot.files) == ["app.py", "pkg/mod.py"]
    assert head.snapshot.files["app.py"] == b"print(1)\n"

    branch = clone_snapshot(url, "feature", LOOPBACK)
    assert branch.commit_sha == feature
    assert "extra.py" in branch.snapshot.files

    pinned = clone_snapshot(url, first, LOOPBACK)
    assert pinned.commit_sha == first
    assert "extra.py" not in pinned.snapshot.files
    assert not any(path.startswith(".git/") for path in pinned.snapshot.files)


def test_a_repository_in_one_folder_keeps_it(git_server: GitServer) -> None:
    git_server.commit("nested", {"pkg/mod.py": b"X = 1\n", "pkg/sub/b.py": b"Y = 2\n"})
    got = clone_snapshot(git_server.url("nested"), None, LOOPBACK)
    assert sorted(got.snapshot.files) == ["pkg/mod.py", "pkg/sub/b.py"]


def test_unknown_repository_and_ref_fail_cleanly(git_server: GitServer) -> None:
    git_server.commit("demo", {"a.py": b"1\n"})
    with pytest.raises(GitFetchFailed):
        clone_snapshot(git_server.url("missing"), None, LOOPBACK)
    with pytest.raises(GitFetchFailed):
        clone_snapshot(git_server.url("demo"), "no-such-branch", LOOPBACK)


def test_loopback_needs_its_setting(git_server: GitServer) -> None:
    git_server.commit("demo", {"a.py": b"1\n"})
    strict = GitPolicy(allowed_hosts=frozenset({"127.0.0.1"}), allow_http=True)
    with pytest.raises(GitAddressRefused):
        clone_snapshot(git_server.url("demo"), None, strict)
    assert git_server.requests == []  # refused before any connection


def _evil_home(root: Path, marker: Path) -> Path:
    """A HOME whose git config would run code on fetch or checkout if it were read."""
    hooks = root / "evil-hooks"
    hooks.mkdir(parents=True)
    script = f"#!/bin/sh\necho ran >> {marker}\n"
    for name in ("post-checkout", "reference-transaction", "post-merge", "pre-auto-gc"):
        (hooks / name).write_text(script)
        (hooks / name).chmod(0o755)
    (root / "fsmonitor.sh").write_text(script)
    (root / "fsmonitor.sh").chmod(0o755)
    (root / ".gitconfig").write_text(
        f"[core]\n\thooksPath = {hooks}\n\tfsmonitor = {root / 'fsmonitor.sh'}\n"
        "[protocol]\n\tallow = always\n"
    )
    return root


def test_hooks_and_the_callers_git_config_never_run(
    git_server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "hook-ran"
    hook = f"#!/bin/sh\necho ran >> {marker}\n".encode()
    sha = git_server.commit(
        "hooky",
        {"app.py": b"X = 1\n", ".githooks/post-checkout": hook, "hooks/post-checkout": hook},
    )
    home = _evil_home(tmp_path / "home", marker)
    # The evil config is live: the same HOME makes a plain git command run its hook.
    control = tmp_path / "control"
    git("init", "--quiet", control, cwd=tmp_path, home=home)
    git("commit", "--quiet", "--allow-empty", "-m", "x", cwd=control, home=home)
    git("checkout", "--quiet", "-b", "other", cwd=control, home=home)
    assert marker.exists(), "the control did not run the evil hook: the test proves nothing"
    marker.unlink()

    monkeypatch.setenv("HOME", str(home))
    got = clone_snapshot(git_server.url("hooky"), None, LOOPBACK)
    assert got.commit_sha == sha
    assert got.snapshot.files[".githooks/post-checkout"] == hook  # data, never run
    assert not marker.exists()


def test_submodules_are_never_fetched(git_server: GitServer, tmp_path: Path) -> None:
    marker = tmp_path / "ext-ran"
    secret_repo = tmp_path / "secret"
    git("init", "--quiet", secret_repo, cwd=tmp_path, home=git_server.home)
    (secret_repo / "SECRET.txt").write_text("machine secret\n")
    git("add", ".", cwd=secret_repo, home=git_server.home)
    git("commit", "--quiet", "-m", "s", cwd=secret_repo, home=git_server.home)
    secret_sha = git("rev-parse", "HEAD", cwd=secret_repo, home=git_server.home)

    work = git_server.create("subby")
    gitmodules = (
        '[submodule "evil"]\n\tpath = evil\n'
        f"\turl = ext::sh -c touch% {marker}\n"
        '[submodule "local"]\n\tpath = local\n'
        f"\turl = file://{secret_repo}\n"
    )
    (work / ".gitmodules").write_text(gitmodules)
    (work / "app.py").write_text("X = 1\n")
    for path in ("evil", "local"):
        git("update-index", "--add", "--cacheinfo", f"160000,{secret_sha},{path}",
            cwd=work, home=git_server.home)  # fmt: skip
    git_server.commit("subby", {})

    got = clone_snapshot(git_server.url("subby"), None, LOOPBACK)
    assert sorted(got.snapshot.files) == [".gitmodules", "app.py"]
    assert not any(b"machine secret" in data for data in got.snapshot.files.values())
    assert not marker.exists()


def test_a_symbolic_link_is_refused_like_in_an_upload(git_server: GitServer) -> None:
    work = git_server.create("linky")
    (work / "app.py").write_text("X = 1\n")
    os.symlink("/etc/passwd", work / "passwd")
    git_server.commit("linky", {})
    with pytest.raises(IntakeError) as caught:
        clone_snapshot(git_server.url("linky"), None, LOOPBACK)
    assert caught.value.reason == "link"


def test_an_oversized_repository_is_stopped(git_server: GitServer) -> None:
    git_server.commit("big", {"data.bin": os.urandom(2 * 1024 * 1024), "app.py": b"X = 1\n"})
    small = GitPolicy(
        allowed_hosts=frozenset({"127.0.0.1"}),
        allow_loopback=True,
        allow_http=True,
        max_bytes=512 * 1024,
    )
    with pytest.raises(GitTooLarge):
        clone_snapshot(git_server.url("big"), None, small)
    assert clone_snapshot(git_server.url("big"), None, LOOPBACK).snapshot.files["app.py"]


def test_a_hanging_server_is_cut_off(git_server: GitServer) -> None:
    quick = GitPolicy(
        allowed_hosts=frozenset({"127.0.0.1"}),
        allow_loopback=True,
        allow_http=True,
        timeout_seconds=1.0,
    )
    with pytest.raises(GitTimeout):
        clone_snapshot(git_server.url("slow"), None, quick)
    leftovers = subprocess.run(
        ["pgrep", "-f", f"127.0.0.1:{git_server.port}/slow"], capture_output=True, check=False
    )
    assert leftovers.stdout == b"", "the git process group was not killed"


def test_missing_git_is_a_fetch_failure_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no git to start
    with pytest.raises(GitUnavailable, match="git is not installed") as refused:
        clone_snapshot("http://127.0.0.1:9/a.git", None, LOOPBACK)
    assert isinstance(refused.value, GitFetchFailed)
    assert refused.value.reason == "git_unavailable"


def test_repository_urls_compare_without_case_in_host_and_path() -> None:
    typed = normalise_repo_url("https://github.com/ada/myrepo")
    assert normalise_repo_url("https://GitHub.com/Ada/MyRepo.git/") == typed
    assert normalise_repo_url("https://github.com:443/ADA/MYREPO") == typed
    assert normalise_repo_url("https://github.com/ada/myrepo2") != typed
    assert normalise_repo_url("https://github.com/bob/myrepo") != typed


def test_a_name_that_does_not_resolve_is_transient(no_process: None) -> None:
    """The real resolver, a name no DNS server answers for (RFC 6761 `.invalid`): the host is
    allow-listed, so the failure is the grading host's DNS, not the request (`_resolve`)."""
    policy = GitPolicy(allowed_hosts=frozenset({"takehome-gitintake.invalid"}))
    with pytest.raises(GitUnreachable, match="does not resolve") as caught:
        clone_snapshot("https://takehome-gitintake.invalid/a/b.git", None, policy)
    assert caught.value.reason == "repo_unreachable"
    assert isinstance(caught.value, GitFetchFailed)
    assert not isinstance(caught.value, GitUrlRefused)


def test_a_name_dns_cannot_encode_is_refused(no_process: None) -> None:
    host = "a" * 64 + ".example"  # a label over 63 characters: IDNA refuses to encode it
    with pytest.raises(GitUrlRefused) as caught:
        clone_snapshot(f"https://{host}/a/b.git", None, GitPolicy(allowed_hosts=frozenset({host})))
    assert caught.value.reason == "url_refused"


def test_a_refused_connection_is_transient_a_missing_repository_is_not(
    git_server: GitServer,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(GitUnreachable, match="connect"):
        clone_snapshot(f"http://127.0.0.1:{port}/a.git", None, LOOPBACK)
    with pytest.raises(GitFetchFailed) as missing:  # the server answers: 404
        clone_snapshot(git_server.url("missing"), None, LOOPBACK)
    assert not isinstance(missing.value, GitUnreachable)
    assert missing.value.reason == "fetch_failed"


@pytest.fixture
def failing_forge() -> Iterator[str]:
    """An HTTP server on loopback that answers every request `503 Service Unavailable`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/a.git"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_a_forge_answering_5xx_is_transient(git_server: GitServer, failing_forge: str) -> None:
    del git_server  # only for its check that git is installed
    with pytest.raises(GitUnreachable, match="503"):
        clone_snapshot(failing_forge, None, LOOPBACK)
