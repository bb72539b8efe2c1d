"""`takehome tokens create --expires-days / list / revoke` and `takehome users disable`: through
the real command line and database; failures exit through `EXIT_CODES`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from runner.cli import EXIT_BAD_INPUT, cli
from runner.settings import Settings
from runner.store import ApiToken, Database, open_database
from runner.store.models import utcnow
from runner.store.records import authenticate, reviewer_for_token
from tests.fakeservice import CHALLENGES


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_CHALLENGE_DIRS": str(CHALLENGES),
        "TAKEHOME_API_TOKEN_DAYS": "30",
    }


def _db(env: dict[str, str]) -> Database:
    return open_database(Settings(data_dir=Path(env["TAKEHOME_DATA_DIR"])))


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), stdin, env=env)
    return result.exit_code, result.output


def _with_reviewer(env: dict[str, str], email: str = "a@example.com") -> None:
    code, out = _run(env, "users", "create", email, "--password-stdin", stdin="long password\n")
    assert code == 0, out


def test_tokens_expire_after_the_default_or_the_given_days(env: dict[str, str]) -> None:
    _with_reviewer(env)
    assert _run(env, "tokens", "create", "a@example.com")[0] == 0
    assert _run(env, "tokens", "create", "a@example.com", "--expires-days", "2")[0] == 0
    assert _run(env, "tokens", "create", "a@example.com", "--expires-days", "0")[0] == 2
    db = _db(env)
    with db.reading() as session:
        rows = list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))
    lifetimes = [row.expires_at - row.created_at for row in rows if row.expires_at]
    assert len(lifetimes) == 2
    assert abs(lifetimes[0] - timedelta(days=30)) < timedelta(minutes=1)  # TAKEHOME_API_TOKEN_DAYS
    assert abs(lifetimes[1] - timedelta(days=2)) < timedelta(minutes=1)
    db.close()


def test_tokens_list_shows_no_secret_and_revoke_refuses_the_token(env: dict[str, str]) -> None:
    _with_reviewer(env)
    _with_reviewer(env, "b@example.com")
    code, secret = _run(env, "tokens", "create", "a@example.com")
    assert code == 0
    secret = secret.strip()
    assert _run(env, "tokens", "create", "b@example.com")[0] == 0
    code, listing = _run(env, "tokens", "list")
    assert code == 0
    assert secret not in listing
    lines = listing.strip().splitlines()
    assert lines[0].split("\t") == ["id", "reviewer", "created", "last used", "expires", "state"]
    mine = [line.split("\t") for line in lines[1:] if "\ta@example.com\t" in line]
    assert len(mine) == 1
    assert len(mine[0][0]) == 8
    assert mine[0][3] == "-"  # never used
    assert mine[0][5] == "active"
    code, out = _run(env, "tokens", "revoke", mine[0][0])
    assert code == 0, out
    db = _db(env)
    with db.reading() as session:
        assert reviewer_for_token(session, secret) is None
    db.close()
    assert "\trevoked" in _run(env, "tokens", "list")[1]
    assert _run(env, "tokens", "revoke", "ffffffff")[0] == EXIT_BAD_INPUT
    assert _run(env, "tokens", "revoke", "zz")[0] == EXIT_BAD_INPUT


def test_an_ambiguous_id_prefix_revokes_nothing(env: dict[str, str]) -> None:
    _with_reviewer(env)
    db = _db(env)
    reviewer_id = _reviewer_id(db)
    with db.writing() as session:
        for suffix in ("1", "2"):
            session.add(
                ApiToken(
                    id="abcd000" + suffix,
                    reviewer_id=reviewer_id,
                    token_hash=suffix * 64,
                    expires_at=utcnow() + timedelta(days=1),
                )
            )
    code, out = _run(env, "tokens", "revoke", "abcd")
    assert code == EXIT_BAD_INPUT
    assert "2 API tokens" in out
    with db.reading() as session:
        assert all(row.revoked_at is None for row in session.scalars(select(ApiToken)))
    db.close()


def _reviewer_id(db: Database) -> str:
    with db.reading() as session:
        reviewer = authenticate(session, "a@example.com", "long password")
    assert reviewer is not None
    return reviewer.id


def test_users_disable_refuses_login_and_tokens(env: dict[str, str]) -> None:
    _with_reviewer(env)
    code, secret = _run(env, "tokens", "create", "a@example.com")
    assert code == 0
    code, out = _run(env, "users", "disable", "a@example.com")
    assert code == 0, out
    db = _db(env)
    with db.reading() as session:
        assert reviewer_for_token(session, secret.strip()) is None
        assert authenticate(session, "a@example.com", "long password") is None
    db.close()
    assert _run(env, "users", "disable", "nobody@example.com")[0] == EXIT_BAD_INPUT


def test_users_enable_and_password(env: dict[str, str]) -> None:
    _with_reviewer(env)
    assert _run(env, "users", "disable", "a@example.com")[0] == 0
    assert _run(env, "users", "enable", "a@example.com")[0] == 0
    code, out = _run(
        env, "users", "password", "a@example.com", "--password-stdin", stdin="new password\n"
    )
    assert code == 0, out
    too_short = ("users", "password", "a@example.com", "--password-stdin")
    assert _run(env, *too_short, stdin="short\n")[0] == 2
    db = _db(env)
    with db.reading() as session:
        assert authenticate(session, "a@example.com", "long password") is None
        reviewer = authenticate(session, "a@example.com", "new password")
    assert reviewer is not None
    assert reviewer.session_generation == 2  # disable, then the password change
    db.close()
