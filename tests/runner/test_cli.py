"""The `takehome` command: as a user runs it (real process, real exit codes, one-line errors),
and the service's commands in process (users, tokens, invites, `serve` refusing an unsafe secret).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import cli
from runner.settings import Settings, UnsafeSettings, check_secrets
from runner.store import open_database
from runner.store.records import invite_for_token, reviewer_for_token

ROOT = Path(__file__).resolve().parents[2]
CHALLENGES = ROOT / "tests" / "challenges"
CALCULATOR = CHALLENGES / "calculator"
TAKEHOME = str(Path(sys.executable).parent / "takehome")


def takehome(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    if path := os.environ.get("PYTHONPATH"):  # a worktree run grades with that tree's code
        base["PYTHONPATH"] = path
    return subprocess.run(
        [TAKEHOME, "--challenges-dir", str(CHALLENGES), *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_challenges_list_and_show() -> None:
    listed = takehome("challenges", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:3] == ["calculator", "1.0.0", "unit"]
    shown = takehome("challenges", "show", "calculator")
    assert shown.returncode == 0, shown.stderr
    assert "hidden tests (14):" in shown.stdout
    assert "tests/test_expression.py::test_precedence" in shown.stdout


@pytest.mark.slow
def test_unknown_challenge_is_bad_input(tmp_path: Path) -> None:
    done = takehome("grade", str(CALCULATOR / "reference"), "--challenge", "nope")
    assert done.returncode == 3
    assert "nope" in done.stderr
    assert "calculator" in done.stderr  # the known ids are listed
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_malicious_archive_is_bad_input(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("../../etc/cron.d/evil")
        data = b"* * * * * root true\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    done = takehome("grade", str(archive), "--challenge", "calculator")
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert ".." in done.stderr
    assert not Path("/etc/cron.d/evil").exists()


@pytest.mark.slow
def test_engine_unreachable_is_an_infrastructure_failure() -> None:
    done = takehome(
        "grade",
        str(CALCULATOR / "reference"),
        "--challenge",
        "calculator",
        env={"DOCKER_HOST": "tcp://127.0.0.1:9"},
    )
    assert done.returncode == 4
    assert "Docker engine" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_usage_error() -> None:
    done = takehome("grade", str(CALCULATOR / "reference"))
    assert done.returncode == 2
    assert "--challenge" in done.stderr


@pytest.mark.docker
def test_grade_writes_json_and_html(tmp_path: Path, docker_client: object) -> None:
    tree, archive = tmp_path / "eval-shortcut", tmp_path / "submission.tar.gz"
    written = takehome("challenges", "variant", "calculator", "eval-shortcut", "--out", str(tree))
    assert written.returncode == 0, written.stderr
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname="candidate-repo")
    out_json, out_html = tmp_path / "report.json", tmp_path / "report.html"
    done = takehome(
        "grade",
        str(archive),
        "--challenge",
        "calculator",
        "--json",
        str(out_json),
        "--html",
        str(out_html),
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out_json.read_text())
    assert set(report) == {
        "schema_version",
        "score",
        "categories",
        "verdicts",
        "provenance",
        "logs",
    }
    assert report["schema_version"] == 2
    assert set(report["categories"]) == {"tests", "coverage", "style", "complexity", "security"}
    for category in report["categories"].values():
        assert {"score", "weight", "findings"} <= set(category)
    security = report["categories"]["security"]
    assert [(f["rule"], f["file"], f["line"]) for f in security["findings"]] == [
        ("B307", "calc/expression.py", 6)
    ]
    assert security["findings"][0]["extra"]["cwe"] == "CWE-78"
    prov = report["provenance"]
    assert prov["challenge"]["id"] == "calculator"
    assert prov["image"]["id"].startswith("sha256:")
    assert set(prov["tools"]) == {"tests", "coverage", "style", "complexity", "security"}
    html = out_html.read_text()
    assert "B307" in html
    assert "<script" not in html
    assert "security" in done.stdout


@pytest.mark.docker
def test_doctor_checks_engine_images_and_graders(docker_client: object, tools_image: str) -> None:
    done = takehome("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ engine" in done.stdout
    assert "✓ images takehome-base:" in done.stdout
    for grader in ("tests", "coverage", "style", "complexity", "security"):
        assert f"✓ grader {grader} self-check passed" in done.stdout
    assert "calculator" in done.stdout


@pytest.mark.slow
def test_doctor_says_what_to_do_without_an_engine() -> None:
    done = takehome("doctor", env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert done.returncode == 1
    assert "✗ engine" in done.stdout
    assert "start it" in done.stdout


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
