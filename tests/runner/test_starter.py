"""The starter repository: real `git` builds it, real `git` reads it back, and the Git intake
tells a submission that descends from it from one that does not (against a loopback server)."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from runner.challenge import load_challenge
from runner.gitintake import GitPolicy, _clone, clone_snapshot
from runner.intake import Snapshot
from runner.starter import STARTER_MESSAGE, StarterRepo, build_starter
from tests.gitserver import GitServer, git

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"
LOOPBACK = GitPolicy(allowed_hosts=frozenset({"127.0.0.1"}), allow_loopback=True, allow_http=True)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="no git binary")


def _starter() -> Snapshot:
    return load_challenge(CALCULATOR).starter()


def _unpack(repo: StarterRepo, kind: str, into: Path) -> Path:
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(repo.zip_bytes())) as archive:
            names = archive.namelist()
            archive.extractall(into)  # noqa: S202 - our own archive, paths checked below
            for info in archive.infolist():  # extractall drops the unix modes: put them back
                (into / info.filename).chmod((info.external_attr >> 16) & 0o777)
    else:
        with tarfile.open(fileobj=io.BytesIO(repo.tar_gz_bytes()), mode="r:gz") as archive:
            names = archive.getnames()
            archive.extractall(into, filter="data")
    assert {name.split("/", 1)[0] for name in names} == {repo.name}  # one top-level folder
    return into / repo.name


def _tree(folder: Path) -> dict[str, tuple[bytes, bool]]:
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), bool(path.stat().st_mode & 0o100))
        for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(folder).parts
    }


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_the_archive_holds_the_starter_and_one_commit_of_it(kind: str, tmp_path: Path) -> None:
    starter = _starter()
    repo = build_starter("calculator", starter)
    folder = _unpack(repo, kind, tmp_path)
    home = tmp_path / "home"
    home.mkdir()

    log = git("log", "--format=%H|%an <%ae>|%cn <%ce>|%aI|%cI|%B", cwd=folder, home=home)
    author = "takehome <takehome@localhost>"
    date = "2000-01-01T00:00:00+00:00"
    assert log.split("|") == [repo.commit, author, author, date, date, STARTER_MESSAGE.strip()]
    assert git("rev-list", "--count", "HEAD", cwd=folder, home=home) == "1"
    assert git("status", "--porcelain", cwd=folder, home=home) == ""  # work tree == commit
    assert git("branch", "--show-current", cwd=folder, home=home) == "main"

    expected = {p: (data, p in starter.executable) for p, data in starter.files.items()}
    assert _tree(folder) == expected
    committed = git("ls-tree", "-r", "--name-only", "HEAD", cwd=folder, home=home).split("\n")
    assert committed == sorted(starter.files)
    for path, data in starter.files.items():
        blob = git("cat-file", "blob", f"HEAD:{path}", cwd=folder, home=home)
        assert blob.encode() == data.rstrip(b"\n")  # `git()` strips the trailing newline


def test_the_commit_id_depends_only_on_the_starter(tmp_path: Path) -> None:
    starter = _starter()
    first, second = build_starter("calculator", starter), build_starter("calculator", starter)
    assert first.commit == second.commit

    changed = Snapshot(
        files={**starter.files, "calc/__init__.py": b"# changed\n"},
        executable=starter.executable,
    )
    assert build_starter("calculator", changed).commit != first.commit
    executable = Snapshot(files=starter.files, executable=frozenset({"calc/__init__.py"}))
    assert build_starter("calculator", executable).commit != first.commit


def test_gitattributes_and_gitignore_in_the_starter_change_nothing(tmp_path: Path) -> None:
    files = {
        ".gitattributes": b"* text=auto eol=crlf\n*.py filter=evil\n",
        ".gitignore": b"*.py\n",
        "app.py": b"print(1)\n",
    }
    repo = build_starter("odd", Snapshot(files=files))
    folder = _unpack(repo, "tar.gz", tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    listed = git("ls-tree", "-r", "--name-only", "HEAD", cwd=folder, home=home).split("\n")
    assert listed == sorted(files)
    assert git("cat-file", "blob", "HEAD:app.py", cwd=folder, home=home) == "print(1)"


def _push_starter(git_server: GitServer, tmp_path: Path, name: str) -> tuple[Path, str]:
    """The starter, unpacked as a candidate would, pushed to a served repository `name`."""
    repo = build_starter("calculator", _starter())
    folder = _unpack(repo, "zip", tmp_path / name)
    bare = git_server.root / f"{name}.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", bare, cwd=tmp_path, home=tmp_path)
    git("push", "--quiet", str(bare), "main", cwd=folder, home=tmp_path)
    return folder, repo.commit


def _commit(folder: Path, home: Path, count: int) -> None:
    for _ in range(count):
        index = len(list(folder.glob("work*.py")))
        (folder / f"work{index}.py").write_text(f"X = {index}\n")
        git("add", "--all", cwd=folder, home=home)
        git("commit", "--quiet", "-m", f"step {index}", cwd=folder, home=home)


def test_a_submission_descending_from_the_starter_is_recognised(
    git_server: GitServer, tmp_path: Path
) -> None:
    folder, starter = _push_starter(git_server, tmp_path, "cand")
    bare = git_server.root / "cand.git"
    url = git_server.url("cand")

    assert clone_snapshot(url, None, LOOPBACK, starter_commit=starter).descent == "descends"
    _commit(folder, tmp_path, 1)
    git("push", "--quiet", str(bare), "main", cwd=folder, home=tmp_path)
    assert clone_snapshot(url, None, LOOPBACK, starter_commit=starter).descent == "descends"
    _commit(folder, tmp_path, 5)  # beyond the parents: the fetch is deepened
    git("push", "--quiet", str(bare), "main", cwd=folder, home=tmp_path)
    got = clone_snapshot(url, None, LOOPBACK, starter_commit=starter)
    assert got.descent == "descends"
    assert "work5.py" in got.snapshot.files
    assert clone_snapshot(url, None, LOOPBACK).descent is None  # nothing asked


def test_an_unrelated_history_and_one_too_deep_to_tell(
    git_server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starter = build_starter("calculator", _starter()).commit
    for index in range(4):
        git_server.commit("other", {f"f{index}.py": b"Y = 1\n"})
    url = git_server.url("other")
    assert clone_snapshot(url, None, LOOPBACK, starter_commit=starter).descent == "unrelated"
    git_server.commit("single", {"only.py": b"Z = 1\n"})
    one = clone_snapshot(git_server.url("single"), None, LOOPBACK, starter_commit=starter)
    assert one.descent == "unrelated"

    folder, starter = _push_starter(git_server, tmp_path, "deep")
    _commit(folder, tmp_path, 4)
    git("push", "--quiet", str(git_server.root / "deep.git"), "main", cwd=folder, home=tmp_path)
    monkeypatch.setattr(_clone, "ANCESTRY_DEPTH", 2)
    deep = git_server.url("deep")
    assert clone_snapshot(deep, None, LOOPBACK, starter_commit=starter).descent == "unknown"
