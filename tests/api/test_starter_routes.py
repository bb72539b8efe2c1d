"""The starter routes: both archives hold the starter and its one commit (read back with real
`git`), the commit id is the same for every invite of a challenge version and follows the
invite's own version after the challenge changes; Git submissions are shown as descending from
the starter or not."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.services import Services
from runner import starter as starter_module
from runner.challenge import load_challenge
from runner.settings import Settings
from runner.starter import build_starter
from runner.store.models import StarterVersion
from tests.api.conftest import CHALLENGES, fake_pipeline, grade_all
from tests.gitserver import GitServer, git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="no git binary")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """A copy of the test challenges (the tests change a starter), and loopback Git."""
    copy = tmp_path / "challenges"
    shutil.copytree(CHALLENGES, copy)
    return settings.model_copy(
        update={
            "challenge_dirs": [copy],
            "git_allowed_hosts": ["127.0.0.1"],
            "git_allow_loopback": True,
            "git_allow_http": True,
        }
    )


def _unpack(data: bytes, into: Path) -> Path:
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            tops = {name.split("/", 1)[0] for name in archive.namelist()}
            archive.extractall(into)  # noqa: S202 - the service's own archive, checked above
            for info in archive.infolist():
                (into / info.filename).chmod((info.external_attr >> 16) & 0o777)
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            tops = {name.split("/", 1)[0] for name in archive.getnames()}
            archive.extractall(into, filter="data")
    assert tops == {"calculator"}
    return into / "calculator"


def _work_tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def _invite(client: TestClient, headers: dict[str, str], **extra: object) -> str:
    body = {"challenge": "calculator", "candidate": "Ada", **extra}
    response = client.post("/api/invites", json=body, headers=headers)
    assert response.status_code == 201, response.text
    link: str = response.json()["link"]
    return link.rsplit("/", 1)[1]


def _download(client: TestClient, token: str, kind: str, into: Path) -> tuple[str, Path]:
    response = client.get(f"/i/{token}/starter.{kind}")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="calculator.{kind}"'
    folder = _unpack(response.content, into)
    return response.headers["x-starter-commit"], folder


def test_both_archives_hold_the_starter_and_its_commit(
    client: TestClient,
    make_invite: Callable[..., str],
    settings: Settings,
    tmp_path: Path,
) -> None:
    starter = load_challenge(settings.challenge_dirs[0] / "calculator").starter()
    token = make_invite()
    home = tmp_path / "home"
    home.mkdir()
    commits = set()
    for kind in ("zip", "tar.gz"):
        commit, folder = _download(client, token, kind, tmp_path / kind)
        assert _work_tree(folder) == dict(starter.files)
        log = git("log", "--format=%H %an <%ae> %cI", cwd=folder, home=home)
        assert log == f"{commit} takehome <takehome@localhost> 2000-01-01T00:00:00+00:00"
        assert git("status", "--porcelain", cwd=folder, home=home) == ""
        commits.add(commit)
    assert commits == {build_starter("calculator", starter).commit}

    other = make_invite(who="B")
    again, _ = _download(client, other, "zip", tmp_path / "other")
    assert {again} == commits


def test_unknown_and_expired_invites(client: TestClient, make_invite: Callable[..., str]) -> None:
    expired = make_invite(days=-1)
    for kind in ("zip", "tar.gz"):
        assert client.get(f"/i/not-a-token/starter.{kind}").status_code == 404
        gone = client.get(f"/i/{expired}/starter.{kind}")
        assert (gone.status_code, gone.json()["error"]) == (410, "invite_expired")


def test_an_invite_keeps_the_starter_of_its_version(
    client: TestClient,
    svc: Services,
    settings: Settings,
    reviewer_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    first = _invite(client, reviewer_headers)
    old_commit, old_tree = _download(client, first, "zip", tmp_path / "a")
    old_files = _work_tree(old_tree)

    starter_file = settings.challenge_dirs[0] / "calculator" / "starter" / "calc" / "__init__.py"
    starter_file.write_text(starter_file.read_text() + "\n# version 2\n")
    with TestClient(create_app(settings, pipeline_factory=fake_pipeline)) as reloaded:
        second = _invite(reloaded, reviewer_headers)
        new_commit, new_tree = _download(reloaded, second, "tar.gz", tmp_path / "b")
        kept_commit, kept_tree = _download(reloaded, first, "tar.gz", tmp_path / "c")

    assert new_commit != old_commit
    assert _work_tree(new_tree)["calc/__init__.py"].endswith(b"# version 2\n")
    assert (kept_commit, _work_tree(kept_tree)) == (old_commit, old_files)
    with svc.db.reading() as session:
        rows = session.scalar(select(func.count()).select_from(StarterVersion))
        recorded = set(session.scalars(select(StarterVersion.commit_sha)))
    assert (rows, recorded) == (2, {old_commit, new_commit})


def test_git_submissions_are_shown_descending_from_the_starter_or_not(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
    tmp_path: Path,
) -> None:
    token = _invite(client, reviewer_headers)
    starter, folder = _download(client, token, "zip", tmp_path / "mine")
    home = tmp_path / "home"
    home.mkdir()
    (folder / "calc" / "__init__.py").write_text("def evaluate(text):\n    return 0\n")
    git("commit", "--quiet", "--all", "-m", "my work", cwd=folder, home=home)
    bare = git_server.root / "mine.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", bare, cwd=tmp_path, home=home)
    git("push", "--quiet", str(bare), "main", cwd=folder, home=home)
    git_server.commit("fresh", {"calc/__init__.py": b"X = 1\n"})

    shown = {}
    for name in ("mine", "fresh"):
        body = {"git_url": git_server.url(name)}
        answer = client.post(f"/i/{token}/submissions", json=body)
        assert answer.status_code == 202, answer.text
        shown[name] = answer.json()["id"]
    grade_all(svc)

    html = {"Accept": "text/html", **reviewer_headers}
    mine = client.get(f"/api/submissions/{shown['mine']}", headers=reviewer_headers).json()
    assert mine["starter_descent"] == "descends"
    page = client.get(f"/reviewer/submissions/{shown['mine']}", headers=html).text
    assert "Descends from the starter" in page
    assert starter in page
    fresh = client.get(f"/api/submissions/{shown['fresh']}", headers=reviewer_headers).json()
    assert fresh["starter_descent"] == "unrelated"
    page = client.get(f"/reviewer/submissions/{shown['fresh']}", headers=html).text
    assert "Does not descend from the starter" in page


def test_git_failing_is_a_503_not_a_crash(
    client: TestClient, make_invite: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_invite()

    def no_git(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("git")

    monkeypatch.setattr(starter_module.subprocess, "run", no_git)
    answer = client.get(f"/i/{token}/starter.zip")
    assert (answer.status_code, answer.json()["error"]) == (503, "starter_unavailable")
