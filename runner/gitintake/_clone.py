"""Fetching one commit with git, under limits, and snapshotting it through the upload intake."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from runner.gitintake._errors import (
    GitFetchFailed,
    GitIntakeError,
    GitTimeout,
    GitTooLarge,
    GitUnavailable,
    GitUnreachable,
)
from runner.gitintake._url import CheckedUrl, GitPolicy, check_commit_sha, check_ref, check_url
from runner.intake import IntakeError, IntakeLimits, Snapshot, snapshot_bytes

__all__ = ["ANCESTRY_DEPTH", "GitSnapshot", "clone_snapshot"]

ANCESTRY_DEPTH = 200
"""How many commits of a submission's history are searched for the starter commit."""

_POLL_SECONDS = 0.05
_STDERR_BYTES = 2000
# Attributes that would make `git archive` differ from the commit: `export-subst` rewrites
# files, `export-ignore` hides them. $GIT_DIR/info/attributes overrides the repository's own.
_NEUTRAL_ATTRIBUTES = "* -export-subst -export-ignore\n"
# What git (libcurl) prints when the host could not be reached, or the forge failed: the
# network's or the forge's fault, gone on a retry, so `GitUnreachable` (503), not the
# `fetch_failed` (422) of a repository or ref that does not exist. A 4xx from the forge (no such
# repository, a private one) stays `fetch_failed`.
_TRANSIENT = re.compile(
    r"Failed to connect to|Couldn't connect to server|Connection (refused|timed out|reset)"
    r"|Network is unreachable|No route to host|Could not resolve (host|proxy)"
    r"|Operation timed out|Operation too slow|Empty reply from server|Recv failure"
    r"|Send failure|transfer closed with|returned error: (5\d\d|429)|RPC failed; HTTP (5\d\d|429)"
)


@dataclass(frozen=True)
class GitSnapshot:
    """The snapshot of one commit and where it came from."""

    snapshot: Snapshot
    url: str
    """The URL git fetched: the canonical form `check_url` rebuilt (`CheckedUrl.url`)."""
    ref: str
    commit_sha: str
    descent: str | None = None
    """With a starter commit to look for: "descends", "unrelated" or "unknown" (see
    `_descent`); None when none was given."""


def _config(checked: CheckedUrl, policy: GitPolicy) -> list[str]:
    settings = {
        "protocol.allow": "never",
        "protocol.https.allow": "always",
        "core.hooksPath": "/dev/null",
        "core.symlinks": "false",
        "core.fsmonitor": "false",
        "core.askPass": "",
        "credential.helper": "",
        "http.followRedirects": "false",
        "http.curloptResolve": checked.curl_resolve(),
        "http.lowSpeedLimit": "1000",
        "http.lowSpeedTime": str(max(5, int(policy.timeout_seconds))),
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "transfer.fsckObjects": "true",
        "gc.auto": "0",
        "maintenance.auto": "false",
    }
    if policy.allow_http:
        settings["protocol.http.allow"] = "always"
    flags: list[str] = []
    for key, value in settings.items():
        flags += ["-c", f"{key}={value}"]
    return flags


def _environment(home: Path, policy: GitPolicy) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ALLOW_PROTOCOL": ":".join(policy.schemes()),
        "LC_ALL": "C",
    }


def _tree_size(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue  # git renames temporary files while we count
    return total


@dataclass
class _Git:
    repo: Path
    env: dict[str, str]
    config: list[str]
    policy: GitPolicy
    deadline: float

    def run(self, *args: str, watch: bool = False) -> bytes:
        """Run git with `args` in the repository; its stdout. With `watch`, the repository's
        size is polled and the process group killed past the limits."""
        argv = ["git", *self.config, "-C", str(self.repo), *args]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                process = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=self.env,
                    start_new_session=True,
                )  # fmt: skip
            except OSError as exc:  # no git on PATH, or not executable
                raise GitUnavailable(
                    f"git is not installed on the grading host ({exc.strerror or exc})"
                ) from None
            try:
                self._wait(process, watch=watch)
            finally:
                if process.poll() is None:
                    _kill(process)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read(_STDERR_BYTES).decode("utf-8", "replace")
        if process.returncode != 0:
            failed = GitUnreachable if _TRANSIENT.search(stderr) else GitFetchFailed
            raise failed(f"git {args[0]} failed: {stderr.strip()[-500:]!r}")
        return stdout

    def _wait(self, process: subprocess.Popen[bytes], *, watch: bool) -> None:
        while True:
            try:
                process.wait(timeout=_POLL_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            else:
                break
            if time.monotonic() > self.deadline:
                _kill(process)
                raise GitTimeout(f"the fetch took longer than {self.policy.timeout_seconds:g} s")
            if watch:
                self.check_size()
        if watch:
            self.check_size()

    def check_size(self) -> None:
        if (size := _tree_size(self.repo)) > self.policy.max_bytes:
            raise GitTooLarge(
                f"the repository passed {self.policy.max_bytes} bytes (at {size}):"
                " leave out data files and build output"
            )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def clone_snapshot(
    url: str,
    ref: str | None,
    policy: GitPolicy,
    limits: IntakeLimits | None = None,
    starter_commit: str | None = None,
) -> GitSnapshot:
    """Fetch `ref` (a branch, tag or full SHA; None: the default branch) of `url` and snapshot
    it. Raises `GitIntakeError` or `IntakeError`; nothing is left on disk. With
    `starter_commit`, also say whether the commit descends from it (`GitSnapshot.descent`)."""
    limits = limits or IntakeLimits()
    checked = check_url(url, policy)
    wanted = check_ref(ref) if ref else "HEAD"
    deadline = time.monotonic() + policy.timeout_seconds
    with tempfile.TemporaryDirectory(prefix="takehome-git-") as tmp:
        home, repo = Path(tmp) / "home", Path(tmp) / "repo"
        home.mkdir()
        repo.mkdir()
        git = _Git(repo, _environment(home, policy), _config(checked, policy), policy, deadline)
        git.run("init", "--quiet", "--bare", "--template=", ".")
        (repo / "info").mkdir(exist_ok=True)
        (repo / "info" / "attributes").write_text(_NEUTRAL_ATTRIBUTES)
        git.run(
            "fetch", "--quiet", "--depth=1", "--no-tags", "--no-recurse-submodules",
            "--no-write-fetch-head", "--end-of-options", checked.url,
            f"+{wanted}:refs/takehome/wanted", watch=True,
        )  # fmt: skip
        sha = git.run("rev-parse", "--verify", "--end-of-options", "refs/takehome/wanted^{commit}")
        commit = check_commit_sha(sha.decode().strip())
        _check_tree(git, commit, limits)
        # The intake strips a single top-level folder (GitHub's zip layout): give every path
        # one, so a repository whose files all sit in one folder keeps it.
        tar = git.run("archive", "--format=tar", "--prefix=commit/", "--end-of-options", commit)
        descent = None
        if starter_commit is not None:
            descent = _descent(
                git, (checked.url, wanted), commit, check_commit_sha(starter_commit)
            )
    snapshot = snapshot_bytes(tar, f"{checked.url}@{commit[:12]}", limits)
    return GitSnapshot(
        snapshot=snapshot, url=checked.url, ref=ref or "HEAD", commit_sha=commit, descent=descent
    )


def _descent(git: _Git, remote: tuple[str, str], commit: str, starter: str) -> str:
    """Whether `commit` has `starter` in its history: "descends", "unrelated" (the whole
    history was fetched and it is not there) or "unknown" (not within the newest
    `ANCESTRY_DEPTH` commits, or deepening the shallow fetch failed: too large, too slow).

    The snapshot's fetch is shallow (depth 1); the commit object still names its parents, so
    the starter as the commit itself or a parent is found at no cost. Otherwise the fetch is
    deepened once, under the same byte and time limits, and the history searched."""
    head = git.run("cat-file", "commit", "--end-of-options", commit).decode("utf-8", "replace")
    parents = {line.split()[1] for line in head.splitlines() if line.startswith("parent ")}
    if starter == commit or starter in parents:
        return "descends"
    if not parents:
        return "unrelated"
    try:
        git.run(
            "fetch", "--quiet", f"--deepen={ANCESTRY_DEPTH - 1}", "--no-tags",
            "--no-recurse-submodules", "--no-write-fetch-head", "--end-of-options", remote[0],
            f"+{remote[1]}:refs/takehome/deeper", watch=True,
        )  # fmt: skip
    except GitIntakeError:
        return "unknown"
    history = git.run("rev-list", f"--max-count={ANCESTRY_DEPTH}", "--end-of-options", commit)
    if starter in history.decode().split():
        return "descends"
    shallow = git.run("rev-parse", "--is-shallow-repository").decode().strip() == "true"
    return "unknown" if shallow else "unrelated"


def _check_tree(git: _Git, commit: str, limits: IntakeLimits) -> None:
    """Refuse by the tree's listing before anything is materialised: too many files, too
    many bytes. (Links are refused by the archive intake, with the path named.)"""
    listing = git.run("ls-tree", "-r", "-l", "-z", "--end-of-options", commit)
    files = total = 0
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta = entry.split(b"\t", 1)[0].split()
        if len(meta) == 4 and meta[1] == b"blob":
            files += 1
            total += int(meta[3]) if meta[3].isdigit() else 0
    if files > limits.max_files:
        raise IntakeError("too_many_files", f"the commit holds more than {limits.max_files} files")
    if total > limits.max_bytes:
        raise IntakeError("too_large", f"the commit's files exceed {limits.max_bytes} bytes")
