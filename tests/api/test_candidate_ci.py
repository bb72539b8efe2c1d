"""Submitting as the candidate against a running service: `takehome submit --invite`, and
exactly the commands of the CI set-ups the invite page shows (read from the rendered page)."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from api.services import Services
from api.views import list_submissions
from runner.cli import cli
from runner.store.records import create_invite
from tests.api.conftest import CALCULATOR
from tests.gitserver import git, git_env

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("curl") is None, reason="needs git and curl"
)


def _token(svc: Services) -> str:
    _invite, token = create_invite(
        svc.db,
        challenge_id="calculator",
        candidate="Ada",
        expires_days=7,
        max_submissions=10,
        created_by=None,
    )
    return token


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        data: bytes = response.read()
    return data


def test_takehome_submit_with_an_invite_link_or_token(
    live_server: tuple[str, Services],
) -> None:
    base, svc = live_server
    token = _token(svc)
    reference = str(CALCULATOR / "reference")
    by_link = CliRunner().invoke(cli, ["submit", reference, "--invite", f"{base}/i/{token}"])
    assert by_link.exit_code == 0, by_link.output
    assert "state: done" in by_link.output
    assert re.search(r"score: \d+\.\d / 100", by_link.output)  # the "scores" policy shows it
    assert "HIDDEN-ORACLE-SECRET" not in by_link.output

    by_token = CliRunner().invoke(
        cli, ["submit", reference, "--url", base, "--no-wait"], env={"TAKEHOME_INVITE": token}
    )
    assert by_token.exit_code == 0, by_token.output
    assert re.fullmatch(r"[0-9a-f]{32}\n", by_token.stdout)

    unknown = CliRunner().invoke(cli, ["submit", reference, "--invite", f"{base}/i/nope"])
    assert unknown.exit_code == 3
    assert "HTTP 404 not_found" in unknown.output


def _examples(page: str) -> dict[str, Any]:
    found = {}
    for name in ("github", "gitlab"):
        match = re.search(rf'<pre id="ci-{name}"><code>(.*?)</code></pre>', page, re.S)
        assert match is not None, f"no {name} example on the page"
        found[name] = yaml.safe_load(html.unescape(match.group(1)))
    return found


def _starter_repo(base: str, token: str, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(_get(f"{base}/i/{token}/starter.zip"))) as archive:
        archive.extractall(into)
    folder = into / "calculator"
    for path in (CALCULATOR / "reference").rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(CALCULATOR / "reference")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    git("add", "--all", cwd=folder, home=into)
    git("commit", "--quiet", "-m", "solution", cwd=folder, home=into)
    return folder


def test_the_ci_examples_submit_exactly_as_shown(
    live_server: tuple[str, Services], tmp_path: Path
) -> None:
    base, svc = live_server
    token = _token(svc)
    examples = _examples(_get(f"{base}/i/{token}").decode())

    step = examples["github"]["jobs"]["submit"]["steps"][-1]
    assert step["env"] == {"TAKEHOME_INVITE": "${{ secrets.TAKEHOME_INVITE }}"}
    trigger = examples["github"][True]  # YAML 1.1 reads the key `on` as true; GitHub does not
    assert trigger == {"push": {"branches": ["main"]}}
    job = examples["gitlab"]["takehome-submit"]
    scripts = {"github": step["run"], "gitlab": "\n".join(job["script"]) + "\n"}
    assert f"{base}/i/" in scripts["github"]
    assert f"{base}/i/" in scripts["gitlab"]
    assert token not in scripts["github"] + scripts["gitlab"]  # the token is the secret

    folder = _starter_repo(base, token, tmp_path)
    for name, script in scripts.items():
        temp = tmp_path / f"tmp-{name}"
        temp.mkdir()
        env = {**git_env(tmp_path), "TAKEHOME_INVITE": token, "TMPDIR": str(temp)}
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=folder,
            env=env,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, (name, done.stderr.decode())
        answer = done.stdout.decode()
        assert '"state":"queued"' in answer.replace(" ", ""), answer
    for _ in range(600):  # the live server's worker grades both
        if _states(svc) == ["done", "done"]:
            break
        time.sleep(0.1)
    assert _states(svc) == ["done", "done"]


def _states(svc: Services) -> list[str]:
    with svc.db.reading() as session:
        return [view.state for view in list_submissions(session)]
