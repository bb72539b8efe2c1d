"""The starter handed to candidates: a challenge's `starter/` as a one-commit Git repository.

`build_starter(name, snapshot)` writes the starter's files into a folder `name/`, makes a Git
repository there and commits them once. The commit is built from the files alone, never from a
work tree git could filter: each blob is hashed with `--no-filters` (no `.gitattributes`
conversion, no ignore rules), the index is written from `(mode, blob, path)` lines (modes 100644
or 100755 from the snapshot's exec bits, paths in sorted order), and the commit has the fixed
author and committer `takehome <takehome@localhost>`, the date 2000-01-01T00:00:00Z and the
message `STARTER_MESSAGE`. So the commit id depends only on the starter's bytes and exec bits:
every candidate of one challenge version gets the same id, and it changes when the starter does.

git runs like the Git intake's (`runner.gitintake`): a scrubbed environment, `HOME` an empty
folder, no system or global configuration, no templates, no hooks, no network.

`StarterVersion` rows (`runner.store.models`) record, per challenge version, the commit id and
the starter snapshot's blob, so an invite keeps handing out the starter of the version it was
made for (`remember_starter`, `starter_for`).

Exception tree::

    StarterError            git failed or is missing while building the starter
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.blobs import BlobStore
from runner.challenge import Challenge
from runner.intake import Snapshot
from runner.store.db import Database
from runner.store.models import Invite, StarterVersion

__all__ = [
    "STARTER_AUTHOR",
    "STARTER_DATE",
    "STARTER_MESSAGE",
    "StarterError",
    "StarterRepo",
    "build_starter",
    "invite_starter_commit",
    "remember_starter",
    "starter_commit",
    "starter_for",
]

STARTER_AUTHOR = ("takehome", "takehome@localhost")
STARTER_DATE = "946684800 +0000"
"""2000-01-01T00:00:00Z, in git's raw date format."""
STARTER_MESSAGE = "Starter\n"
_EPOCH_2000 = (2000, 1, 1, 0, 0, 0)
_TIMEOUT = 60


class StarterError(Exception):
    """git failed or is missing while building a starter repository."""


@dataclass(frozen=True)
class StarterRepo:
    """A built starter: its commit id and every file of `name/` (the work tree and `.git`)."""

    name: str
    commit: str
    files: tuple[tuple[str, bytes, int], ...]
    """(path relative to the parent of `name/`, content, mode), sorted by path."""

    def zip_bytes(self) -> bytes:
        """The folder as a zip (fixed timestamps, unix modes kept)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data, mode in self.files:
                info = zipfile.ZipInfo(path, date_time=_EPOCH_2000)
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        return buffer.getvalue()

    def tar_gz_bytes(self) -> bytes:
        """The folder as a gzipped tar (owner 0, mtime 2000-01-01)."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
            for path, data, mode in self.files:
                info = tarfile.TarInfo(path)
                info.size, info.mode, info.mtime = len(data), mode, 946684800
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                archive.addfile(info, io.BytesIO(data))
        return buffer.getvalue()


def _environment(home: Path) -> dict[str, str]:
    name, email = STARTER_AUTHOR
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": STARTER_DATE,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": STARTER_DATE,
        "LC_ALL": "C",
        "TZ": "UTC",
    }


_CONFIG = (
    "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "gc.auto=0",
    "-c", "commit.gpgSign=false", "-c", "core.autocrlf=false", "-c", "maintenance.auto=false",
)  # fmt: skip


def _git(repo: Path, env: dict[str, str], *args: str, stdin: bytes = b"") -> bytes:
    # The binary is resolved on the service's PATH, not on the scrubbed environment's.
    git = shutil.which("git")
    if git is None:
        raise StarterError("git is not installed on this server")
    try:
        done = subprocess.run(
            [git, *_CONFIG, "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            env=env,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StarterError(f"git {args[0]} could not run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise StarterError(f"git {args[0]} failed: {message!r}")
    return done.stdout


def build_starter(name: str, snapshot: Snapshot) -> StarterRepo:
    """The starter `snapshot` as folder `name/` holding its files and a one-commit repository."""
    with tempfile.TemporaryDirectory(prefix="takehome-starter-") as tmp:
        home, repo = Path(tmp) / "home", Path(tmp) / name
        home.mkdir()
        repo.mkdir()
        env = _environment(home)
        for path, data in snapshot.files.items():
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o755 if path in snapshot.executable else 0o644)
        _git(repo, env, "init", "--quiet", "--template=", "--initial-branch=main")
        paths = list(snapshot.files)
        listed = "".join(f"{p}\n" for p in paths).encode()
        blobs = _git(repo, env, "hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listed)
        index = b"".join(
            f"{'100755' if p in snapshot.executable else '100644'} {sha}\t{p}".encode() + b"\0"
            for p, sha in zip(paths, blobs.decode().split(), strict=True)
        )
        _git(repo, env, "update-index", "-z", "--index-info", stdin=index)
        tree = _git(repo, env, "write-tree").decode().strip()
        commit = _git(repo, env, "commit-tree", tree, stdin=STARTER_MESSAGE.encode())
        commit_id = commit.decode().strip()
        _git(repo, env, "update-ref", "refs/heads/main", commit_id)
        _git(repo, env, "update-index", "-q", "--refresh")
        files = _collect(Path(tmp), name)
    return StarterRepo(name=name, commit=commit_id, files=files)


def _collect(parent: Path, name: str) -> tuple[tuple[str, bytes, int], ...]:
    found = []
    for folder, dirs, names in os.walk(parent / name):
        dirs.sort()
        for file_name in names:
            path = Path(folder) / file_name
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                mode = 0o755 if info.st_mode & 0o100 else 0o644
                found.append((path.relative_to(parent).as_posix(), path.read_bytes(), mode))
    return tuple(sorted(found))


def starter_commit(challenge: Challenge) -> str:
    """The commit id of `challenge`'s starter (builds it; see `remember_starter` for the cache)."""
    return build_starter(challenge.id, challenge.starter()).commit


def remember_starter(db: Database, blobs: BlobStore, challenge: Challenge) -> StarterVersion:
    """The `StarterVersion` of the challenge's current version, recorded on first use: its
    starter snapshot is kept in the blob store and its commit id computed once."""
    with db.reading() as session:
        found = _row(session, challenge.id, challenge.version_hash)
    if found is not None:
        return found
    starter = challenge.starter()
    row = StarterVersion(
        challenge_id=challenge.id,
        version_hash=challenge.version_hash,
        commit_sha=starter_commit(challenge),
        snapshot_digest=blobs.put(starter.to_tar()),
    )
    try:
        with db.writing() as session:
            session.add(row)
    except IntegrityError:  # recorded by a concurrent request meanwhile: the same values
        with db.reading() as session:
            again = _row(session, challenge.id, challenge.version_hash)
        if again is None:
            raise
        return again
    return row


def _row(session: Session, challenge_id: str, version: str) -> StarterVersion | None:
    query = select(StarterVersion).where(
        StarterVersion.challenge_id == challenge_id, StarterVersion.version_hash == version
    )
    return session.scalar(query)


def starter_for(db: Database, challenge_id: str, version: str) -> StarterVersion | None:
    """The recorded starter of one challenge version, if any."""
    with db.reading() as session:
        return _row(session, challenge_id, version)


def invite_starter_commit(db: Database, invite_id: str | None) -> str | None:
    """The starter commit an invite's Git submissions are checked against: the recorded one
    of its challenge version; None without an invite or a recorded version."""
    if invite_id is None:
        return None
    with db.reading() as session:
        invite = session.get(Invite, invite_id)
        if invite is None or invite.challenge_version is None:
            return None
        row = _row(session, invite.challenge_id, invite.challenge_version)
        return row.commit_sha if row is not None else None
