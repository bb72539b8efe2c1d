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
from typing import IO

from runner.gitintake._errors import (
    GitFetchFailed,
    GitIntakeError,
    GitTimeout,
    GitTooLarge,
    GitUnavailable,
    GitUnreachable,
)
from runner.gitintake._history import LOG_FORMAT, GitHistory, parse_log
from runner.gitintake._url import CheckedUrl, GitPolicy, check_commit_sha, check_ref, check_url
from runner.intake import IntakeError, IntakeLimits, Snapshot, snapshot_bytes

__all__ = ["ANCESTRY_DEPTH", "GitSnapshot", "clone_snapshot"]

ANCESTRY_DEPTH = 200
"""How many commits of a submission's history are searched for the starter commit."""

_POLL_SECONDS = 0.05
_STDERR_BYTES = 2000
_MAX_BOUNDARY = 50  # shallow commits checked one by one for being a root
_MAX_LOG_BYTES = 8 * 1024 * 1024  # numstat of 200 commits; past it the history is not kept
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
    `_search`); None when none was given."""
    history: GitHistory | None = None
    """The newest commits (`GitPolicy.history_commits`); None when none were asked for."""


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

    def run(self, *args: str, watch: bool = False, max_output: int | None = None) -> bytes:
        """Run git with `args` in the repository; its stdout. With `watch`, the repository's
        size is polled and the process group killed past the limits; with `max_output`, so is
        the size of its stdout (`GitTooLarge`)."""
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
                self._wait(process, watch=watch, output=(out, max_output))
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

    def _wait(
        self,
        process: subprocess.Popen[bytes],
        *,
        watch: bool,
        output: tuple[IO[bytes], int | None],
    ) -> None:
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
            _check_output(*output)
        _check_output(*output)
        if watch:
            self.check_size()

    def check_size(self) -> None:
        if (size := _tree_size(self.repo)) > self.policy.max_bytes:
            raise GitTooLarge(
                f"the repository passed {self.policy.max_bytes} bytes (at {size}):"
                " leave out data files and build output"
            )


def _check_output(out: IO[bytes], limit: int | None) -> None:
    if limit is not None and os.fstat(out.fileno()).st_size > limit:
        raise GitTooLarge(f"git wrote more than {limit} bytes of output")


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
        starter = check_commit_sha(starter_commit) if starter_commit is not None else None
        descent, history = _lineage(git, (checked.url, wanted), commit, policy, starter)
    snapshot = snapshot_bytes(tar, f"{checked.url}@{commit[:12]}", limits)
    return GitSnapshot(
        snapshot=snapshot,
        url=checked.url,
        ref=ref or "HEAD",
        commit_sha=commit,
        descent=descent,
        history=history,
    )


def _parents(git: _Git, commit: str) -> set[str]:
    head = git.run("cat-file", "commit", "--end-of-options", commit).decode("utf-8", "replace")
    return {line.split()[1] for line in head.splitlines() if line.startswith("parent ")}


def _deepen(git: _Git, remote: tuple[str, str], depth: int) -> str | None:
    """Deepen the shallow fetch once, to `depth` commits, under the same limits; None, or why
    it stopped short (the snapshot stands either way)."""
    try:
        git.run(
            "fetch", "--quiet", f"--deepen={depth - 1}", "--no-tags",
            "--no-recurse-submodules", "--no-write-fetch-head", "--end-of-options", remote[0],
            f"+{remote[1]}:refs/takehome/deeper", watch=True,
        )  # fmt: skip
    except GitTimeout:
        return "the history fetch passed the time limit"
    except GitTooLarge:
        return "the history passed the size limit"
    except GitIntakeError:
        return "the history could not be fetched"
    return None


def _shallow(git: _Git) -> set[str]:
    """The commits at the shallow boundary whose parents were not fetched. git lists a root
    commit fetched shallow there too: the commit object itself says it has no parents."""
    try:
        listed = (git.repo / "shallow").read_text().split()
    except FileNotFoundError:
        return set()
    if len(listed) > _MAX_BOUNDARY:
        return set(listed)
    return {sha for sha in listed if _parents(git, sha)}


def _lineage(
    git: _Git, remote: tuple[str, str], commit: str, policy: GitPolicy, starter: str | None
) -> tuple[str | None, GitHistory | None]:
    """The commit's descent from `starter` (None without one) and its history (None when
    `policy.history_commits` is 0), from one deepening of the fetch at most."""
    parents = _parents(git, commit)
    descent = None if starter is None else _quick_descent(commit, parents, starter)
    search = starter if descent is None else None
    depth = max(policy.history_commits, ANCESTRY_DEPTH if search else 0)
    stopped = _deepen(git, remote, depth) if depth > 1 and parents else None
    if search is not None:
        descent = "unknown" if stopped else _search(git, commit, search)
    wanted = policy.history_commits
    return descent, _history(git, commit, wanted, stopped) if wanted > 0 else None


def _quick_descent(commit: str, parents: set[str], starter: str) -> str | None:
    """The descent when the commit object alone tells: the starter is the commit or a parent
    ("descends"), or the commit is a root ("unrelated")."""
    if starter == commit or starter in parents:
        return "descends"
    return None if parents else "unrelated"


def _search(git: _Git, commit: str, starter: str) -> str:
    """Whether `commit` has `starter` in its deepened history: "descends", "unrelated" (the
    whole history was fetched and it is not there) or "unknown" (not within the newest
    `ANCESTRY_DEPTH` commits)."""
    found = git.run("rev-list", f"--max-count={ANCESTRY_DEPTH + 1}", "--end-of-options", commit)
    newest = found.decode().split()
    if starter in newest[:ANCESTRY_DEPTH]:
        return "descends"
    # The fetch may go deeper than the search (a longer history): more commits than searched
    # is "cannot tell", as a shallow end is.
    return "unknown" if len(newest) > ANCESTRY_DEPTH or _shallow(git) else "unrelated"


def _history(git: _Git, commit: str, limit: int, stopped: str | None) -> GitHistory:
    """The newest `limit` commits (see `runner.gitintake._history`); after a timed-out
    deepening nothing more can run, so only the note is kept."""
    if stopped is not None and "time" in stopped:
        return GitHistory(limit=limit, note=stopped)
    try:
        output = git.run(
            "log", LOG_FORMAT, "--numstat", "--no-ext-diff", "--no-textconv", "--no-renames",
            "--no-color", "--topo-order", f"--max-count={limit + 1}", "--end-of-options",
            commit, max_output=_MAX_LOG_BYTES,
        )  # fmt: skip
        shallow = _shallow(git)
    except GitIntakeError as exc:
        return GitHistory(limit=limit, note=stopped or f"the history could not be read: {exc}")
    commits = parse_log(output, shallow)
    # After a deepening stopped at a limit, whatever git had written is not trusted as whole.
    complete = stopped is None and not shallow and len(commits) <= limit
    return GitHistory(commits=commits[:limit], limit=limit, complete=complete, note=stopped)


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
