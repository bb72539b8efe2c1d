"""A Git submission's history from a real Git server on loopback: what is recorded per commit,
that it is bounded, that it never costs the submission, and the signals read from it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from datetime import datetime

from runner.githistory import HistoryContext, history_signals
from runner.gitintake import GitHistory, GitPolicy, clone_snapshot
from runner.gitintake._history import parse_log
from tests.gitserver import GitServer, git, git_env

LOOPBACK = GitPolicy(allowed_hosts=frozenset({"127.0.0.1"}), allow_loopback=True, allow_http=True)


def _lines(count: int, tag: str = "x") -> bytes:
    return b"".join(f"{tag} = {n}\n".encode() for n in range(count))


def _history(git_server: GitServer, name: str, policy: GitPolicy = LOOPBACK) -> GitHistory:
    got = clone_snapshot(git_server.url(name), None, policy)
    assert got.history is not None
    return got.history


def _codes(history: GitHistory, context: HistoryContext) -> set[str]:
    return {s.code for s in history_signals(history, context)}


def test_each_commit_is_recorded_with_dates_author_subject_and_line_counts(
    git_server: GitServer,
) -> None:
    first = git_server.commit(
        "work", {"a.py": _lines(3)}, message="start", date="2026-03-01T10:00:00+02:00"
    )
    second = git_server.commit(
        "work",
        {"a.py": _lines(2) + b"changed\n", "logo.png": b"\x89PNG\0\0\1binary"},
        message="tweak\x1e a.py\twith tabs " + "y" * 300,
        author=("Ada Lovelace", "ada@example.com"),
    )
    history = _history(git_server, "work")
    assert history.complete
    assert history.limit == 200
    assert [c.sha for c in history.commits] == [second, first]
    newest, oldest = history.commits
    assert (oldest.added, oldest.removed, oldest.counted) == (3, 0, True)
    assert oldest.authored_at == oldest.committed_at == "2026-03-01T10:00:00+02:00"
    assert (newest.added, newest.removed) == (1, 1)  # the binary file counts 0
    assert (newest.author_name, newest.author_email) == ("Ada Lovelace", "ada@example.com")
    assert newest.subject.startswith("tweak\x1e a.py\twith tabs y")
    assert len(newest.subject) == 200
    assert newest.subject.endswith("…")
    assert newest.parents == [first]
    assert GitHistory.from_json(history.to_json()) == history


def test_more_than_200_commits_are_bounded(git_server: GitServer) -> None:
    work = git_server.create("long")
    stream = bytearray()
    for n in range(230):
        body = f"n = {n}\n".encode()
        message = f"commit {n}".encode()
        stream += b"commit refs/heads/main\n"
        stream += f"committer C <c@example.com> {1_700_000_000 + 60 * n} +0000\n".encode()
        stream += b"data %d\n%s\n" % (len(message), message)
        stream += b"M 644 inline n.py\ndata %d\n%s\n" % (len(body), body)
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        input=bytes(stream),
        cwd=work,
        env=git_env(git_server.home),
        check=True,
    )
    git("push", "--quiet", "origin", "main", cwd=work, home=git_server.home)
    history = _history(git_server, "long")
    assert len(history.commits) == 200
    assert not history.complete
    assert history.commits[0].subject == "commit 229"
    assert history.commits[-1].subject == "commit 30"
    assert not history.commits[-1].counted  # its parent was not fetched: no line counts
    assert all(c.counted and c.lines == 2 for c in history.commits[:-1])
    short = _history(git_server, "long", replace(LOOPBACK, history_commits=5))
    assert [c.subject for c in short.commits] == [f"commit {n}" for n in range(229, 224, -1)]


def test_no_history_asked_for_is_none(git_server: GitServer) -> None:
    git_server.commit("one", {"a.py": b"x = 1\n"})
    policy = replace(LOOPBACK, history_commits=0)
    assert clone_snapshot(git_server.url("one"), None, policy).history is None


def test_a_history_past_the_size_limit_keeps_the_submission_with_a_note(
    git_server: GitServer,
) -> None:
    git_server.commit("heavy", {"data.bin": os.urandom(400_000), "a.py": b"x = 1\n"})
    work = git_server.work / "heavy"
    (work / "data.bin").unlink()
    tip = git_server.commit("heavy", {"a.py": b"x = 2\n"}, message="drop the data")
    policy = replace(LOOPBACK, max_bytes=200_000)
    got = clone_snapshot(git_server.url("heavy"), None, policy)
    assert got.commit_sha == tip
    assert got.snapshot.files["a.py"] == b"x = 2\n"
    assert got.history is not None
    assert got.history.note == "the history passed the size limit"
    assert not got.history.complete
    # git may have finished writing just before the size was polled: the tip comes first either
    # way, and its counts only when its parent arrived.
    assert got.history.commits[0].sha == tip


def test_one_huge_commit_is_flagged_and_a_spread_history_is_not(git_server: GitServer) -> None:
    git_server.commit("bulk", {"a.py": _lines(10)})
    huge = git_server.commit("bulk", {"b.py": _lines(900)}, message="everything")
    git_server.commit("bulk", {"c.py": _lines(20)})
    context = HistoryContext(bulk_lines=200)
    signals = history_signals(_history(git_server, "bulk"), context)
    assert [(s.code, s.commits) for s in signals] == [("one_commit", [huge])]
    assert signals[0].detail == f"{huge[:12]} holds 97 % of 930 lines changed"

    for n in range(4):
        git_server.commit("spread", {f"m{n}.py": _lines(100)})
    assert _codes(_history(git_server, "spread"), context) == set()
    git_server.commit("small", {"a.py": _lines(50)})  # all in one commit, but only 50 lines
    assert _codes(_history(git_server, "small"), context) == set()
    assert _codes(_history(git_server, "small"), HistoryContext(bulk_lines=50)) == {"one_commit"}


def test_backdated_and_late_commits_are_flagged_against_the_invite(git_server: GitServer) -> None:
    created = datetime(2026, 5, 1, 9, 0)
    context = HistoryContext(
        invite_created_at=created,
        started_at=datetime(2026, 5, 2, 9, 0),
        deadline=datetime(2026, 5, 2, 13, 0),
    )
    old = git_server.commit("dated", {"a.py": b"1\n"}, date="2026-04-30T23:00:00-02:00")
    early = git_server.commit("dated", {"a.py": b"2\n"}, date="2026-05-02T10:30:00+02:00")
    git_server.commit("dated", {"a.py": b"3\n"}, date="2026-05-02T12:00:00+00:00")
    late = git_server.commit("dated", {"a.py": b"4\n"}, date="2026-05-02T15:30:00+02:00")
    signals = {s.code: s.commits for s in history_signals(_history(git_server, "dated"), context)}
    # 23:00 at -02:00 is 01:00 UTC on 1 May: before the invite (09:00); 10:30 at +02:00 is 08:30
    # UTC on 2 May: before Start; 15:30 at +02:00 is 13:30 UTC: past the deadline.
    assert signals == {"before_invite": [old], "before_start": [early], "after_deadline": [late]}
    assert _codes(_history(git_server, "dated"), HistoryContext()) == set()


def test_history_without_the_starter_is_flagged_only_when_complete(
    git_server: GitServer,
) -> None:
    starter = git_server.commit("base", {"a.py": b"x = 0\n"}, date="2000-01-01T00:00:00+00:00")
    git_server.commit("base", {"a.py": b"x = 1\n"})
    built = _history(git_server, "base")
    on_starter = HistoryContext(starter_commit=starter, invite_created_at=datetime(2026, 1, 1))
    assert _codes(built, on_starter) == set()  # the starter's own old date is not flagged
    git_server.commit("other", {"a.py": b"x = 1\n"})
    other = _history(git_server, "other")
    assert _codes(other, on_starter) == {"no_starter"}
    assert (
        _codes(other, HistoryContext(starter_commit=starter, starter_descent="unknown")) == set()
    )
    assert _codes(GitHistory(commits=other.commits, complete=False), on_starter) == set()


def test_the_log_parser_ignores_what_is_not_a_commit_header() -> None:
    sha, parent = "a" * 40, "b" * 40
    header = f"\x1e{sha}\0{parent}\0bad-date\0bad-date\0N\0e@x\0subject\0with\0nul".encode()
    output = b"\n".join([b"stray 1\t2\tx", header, b"3\t4\tf.py", b"-\t-\tbin", b"\x1enope", b""])
    (commit,) = parse_log(output, set())
    assert (commit.sha, commit.parents, commit.added, commit.removed) == (sha, [parent], 3, 4)
    assert commit.subject == "subject\0with\0nul"
    assert _codes(GitHistory(commits=[commit]), HistoryContext(deadline=datetime(2026, 1, 1))) == (
        set()
    )


def test_dates_at_the_end_of_time_are_unknown_not_a_crash() -> None:
    # `%aI` of GIT_AUTHOR_DATE='@253402329600 -1200': its UTC is past year 9999.
    past_utc, near_end, fine = (
        "9999-12-31T20:00:00-12:00",
        "9999-12-31T23:59:50+00:00",
        "2026-05-02T12:00:00+00:00",
    )
    shas = ["a" * 40, "b" * 40, "c" * 40]
    dates = [(past_utc, past_utc), (near_end, fine), ("0001-01-01T00:00:00+00:00", past_utc)]
    output = b"\n".join(
        f"\x1e{sha}\0\0{authored}\0{committed}\0N\0e@x\0s".encode()
        for sha, (authored, committed) in zip(shas, dates, strict=True)
    )
    commits = parse_log(output, set())
    assert [(c.authored_at, c.committed_at) for c in commits] == [("", ""), ("", fine), ("", "")]
    context = HistoryContext(
        invite_created_at=datetime(2026, 5, 3), deadline=datetime(2026, 5, 1, 12, 0)
    )
    signals = {s.code: s.commits for s in history_signals(GitHistory(commits=commits), context)}
    assert signals == {"before_invite": [shas[1]], "after_deadline": [shas[1]]}
    # A history stored before the parser dropped such dates is read safely too.
    stored = [replace(c, authored_at=past_utc, committed_at=near_end) for c in commits]
    assert _codes(GitHistory(commits=stored), context) == set()


def test_a_commit_dated_in_year_9999_through_a_real_server(git_server: GitServer) -> None:
    fine = "2026-05-02T12:00:00+00:00"
    first = git_server.commit("end", {"a.py": b"1\n"}, date=fine)
    last = git_server.commit("end", {"a.py": b"2\n"}, date="@253402329600 -1200")
    history = _history(git_server, "end")
    assert [(c.sha, c.authored_at, c.committed_at) for c in history.commits] == [
        (last, "", ""),
        (first, fine, fine),
    ]
    assert _codes(history, HistoryContext(deadline=datetime(2026, 5, 2, 13, 0))) == set()
