"""The service's commands: users, tokens, invites, and `serve` refusing an unsafe secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import cli
from runner.settings import Settings, UnsafeSettings, check_secrets
from runner.store import open_database
from runner.store.records import invite_for_token, reviewer_for_token
from tests.api.conftest import CHALLENGES


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_CHALLENGE_DIRS": str(CHALLENGES),
        "TAKEHOME_PUBLIC_URL": "https://takehome.example",
        "TAKEHOME_SECRET_KEY": "",
        "TAKEHOME_DEV_MODE": "0",
    }


def test_users_tokens_invites(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli, ["users", "create", "a@example.com", "--password-stdin"], "long password\n", env=env
    )
    assert created.exit_code == 0, created.output
    again = runner.invoke(
        cli, ["users", "create", "a@example.com", "--password-stdin"], "long password\n", env=env
    )
    assert again.exit_code == 3
    short = runner.invoke(
        cli, ["users", "create", "b@example.com", "--password-stdin"], "short\n", env=env
    )
    assert short.exit_code == 2
    token = runner.invoke(cli, ["tokens", "create", "a@example.com"], env=env)
    assert token.exit_code == 0
    assert runner.invoke(cli, ["tokens", "create", "x@example.com"], env=env).exit_code == 3
    args = ["invites", "create", "--challenge", "calculator", "--max-submissions", "2"]
    invite = runner.invoke(cli, args, env=env)
    assert invite.exit_code == 0, invite.output
    link = invite.output.strip()
    assert link.startswith("https://takehome.example/i/")
    unknown = runner.invoke(cli, ["invites", "create", "--challenge", "nope"], env=env)
    assert unknown.exit_code == 3
    db = open_database(Settings(data_dir=tmp_path / "data"))
    with db.reading() as session:
        reviewer = reviewer_for_token(session, token.output.strip())
        found = invite_for_token(session, link.rsplit("/", 1)[1])
    assert reviewer is not None
    assert reviewer.email == "a@example.com"
    assert found is not None
    assert found.max_submissions == 2


def test_serve_refuses_the_default_secret(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2
    assert "TAKEHOME_SECRET_KEY" in result.output


@pytest.mark.parametrize("key", ["", "changethis", "short"])
def test_unsafe_secrets(key: str) -> None:
    with pytest.raises(UnsafeSettings):
        check_secrets(Settings(secret_key=key, dev_mode=False))
    dev = check_secrets(Settings(secret_key=key, dev_mode=True))
    assert len(dev.secret_key) >= 32
