"""The canonical host (issue 15, M1): git is given the URL rebuilt from the host that was checked
and pinned, never the text as typed, so a trailing dot cannot make libcurl skip the pin and
resolve the name again (DNS rebinding). Malformed hosts are refusals, not crashes."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from runner.gitintake import GitPolicy, GitUrlRefused, check_url, clone_snapshot
from tests.gitserver import GitServer

# A name no DNS server knows (RFC 6761 `.invalid`): only the policy's resolver answers for it,
# so git reaches the server only through the pinned address.
PINNED_NAME = "takehome-pin.invalid"


def _public(_host: str, _port: int) -> list[str]:
    return ["140.82.112.3"]


POLICY = GitPolicy(allowed_hosts=frozenset({"github.com", "::1"}), resolver=_public)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("https://github.com./team/repo.git", "https://github.com/team/repo.git"),
        ("https://GitHub.COM./team/repo.git", "https://github.com/team/repo.git"),
        ("HTTPS://GITHUB.COM/team/Repo", "https://github.com/team/Repo"),
        ("https://github.com:443/team/repo", "https://github.com/team/repo"),
        ("https://github.com.:8443/team/repo", "https://github.com:8443/team/repo"),
    ],
)
def test_git_is_given_the_checked_host_not_the_typed_one(typed: str, canonical: str) -> None:
    checked = check_url(typed, POLICY)
    assert checked.url == canonical
    assert checked.host == "github.com"
    assert checked.curl_resolve().startswith("github.com:")


@pytest.mark.parametrize(
    "typed",
    [
        "https://github.com../team/repo",
        "https://GITHUB.COM.../team/repo",
        "https://./team/repo",
        "https://[github.com]/a",
        "https://[::1/a",
        "https://github.com]/a",
        "https://github.com:99999/a",
        "https://github.com:port/a",
    ],
)
def test_malformed_hosts_are_refused_not_crashes(typed: str) -> None:
    with pytest.raises(GitUrlRefused) as caught:
        check_url(typed, POLICY)
    assert caught.value.reason == "url_refused"


@pytest.mark.parametrize("suffix", [".", ""])
def test_a_trailing_dot_still_goes_through_the_pin(
    suffix: str, git_server: GitServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: the name typed with a trailing dot. Before the fix git got `name.` while the
    pin named `name`; libcurl then ignored the pin and asked DNS (which, for a rebinding name,
    answers an internal address; here it answers nothing, and the fetch failed)."""
    sha = git_server.commit("demo", {"app.py": b"print(1)\n"})
    port = git_server.port
    policy = GitPolicy(
        allowed_hosts=frozenset({PINNED_NAME}),
        allow_loopback=True,
        allow_http=True,
        timeout_seconds=30,
        resolver=lambda _host, _port: ["127.0.0.1"],
    )
    argvs: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(argv: list[str], **kwargs: Any) -> Any:
        argvs.append(list(argv))
        return real_popen(argv, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    typed = f"http://{PINNED_NAME.upper()}{suffix}:{port}/demo.git"
    got = clone_snapshot(typed, None, policy)
    canonical = f"http://{PINNED_NAME}:{port}/demo.git"
    assert got.commit_sha == sha
    assert got.url == canonical
    fetch = next(argv for argv in argvs if "fetch" in argv)
    assert fetch[fetch.index("--end-of-options") + 1] == canonical
    assert f"http.curloptResolve={PINNED_NAME}:{port}:127.0.0.1" in fetch
    assert not any(f"{PINNED_NAME}." in arg for argv in argvs for arg in argv)
    assert git_server.requests  # reached through the pinned address only
