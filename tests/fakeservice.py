"""Fixtures of the service tests: a real SQLite file database, the app over a fake pipeline.

A pytest plugin (`pytest_plugins` in tests/conftest.py): the API, runner and hostile tests share
these fixtures; the helpers below are imported by name.

The fake pipeline is the real `Pipeline` over a `FakeSandbox` that answers the hidden-tests step
with a JUnit file (every calculator test passes except `test_precedence`, whose failure message
is a secret a candidate must never see) and every other step with no output.
"""

from __future__ import annotations

import io
import socket
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.services import Services
from graders import discover_test_ids
from graders.model import CategoryResult, Finding, Report, Severity
from runner.challenge import load_challenge
from runner.pipeline import Pipeline
from runner.settings import Settings
from runner.store import Invite, Run, Submission, secrets
from runner.store.records import create_api_token, create_invite, create_reviewer
from sandbox import Execution, FakeSandbox, RunSpec

CHALLENGES = Path(__file__).resolve().parent / "challenges"
CALCULATOR = CHALLENGES / "calculator"
SECRET_MESSAGE = "HIDDEN-ORACLE-SECRET assert 7 == 9"
FAILING_TEST = "tests/test_expression.py::test_precedence"
LIMIT = 256 * 1024


def _junit() -> bytes:
    ids = discover_test_ids(load_challenge(CALCULATOR).hidden_tests())
    cases = []
    for test_id in ids:
        path, _, name = test_id.partition("::")
        classname = path.removesuffix(".py").replace("/", ".")
        body = f'<failure message="{SECRET_MESSAGE}">{SECRET_MESSAGE}</failure>'
        inner = body if test_id == FAILING_TEST else ""
        cases.append(
            f'<testcase classname="{classname}" name="{name}" time="0.01">{inner}</testcase>'
        )
    suite = f'<testsuite name="pytest" tests="{len(ids)}">{"".join(cases)}</testsuite>'
    return f'<?xml version="1.0"?><testsuites>{suite}</testsuites>'.encode()


_JUNIT_XML = _junit()


def fake_handler(spec: RunSpec) -> Execution:
    """The hidden tests report JUnit; every other step ends with no output."""
    files = {"out/junit.xml": _JUNIT_XML} if spec.label == "tests.hidden" else {}
    return Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.01, files_out=files)


def fake_pipeline(_settings: Settings) -> Pipeline:
    return Pipeline(FakeSandbox(fake_handler), images=lambda _c: "img", concurrency=1)


#: argon2's production cost (~0.16 s a hash) is the point in production, not in tests.
CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "_HASHER", CHEAP_HASHER)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return service_settings(tmp_path / "data")


def service_settings(data_dir: Path) -> Settings:
    """The service tests' settings, with everything stored under `data_dir`."""
    return Settings(
        data_dir=data_dir,
        challenge_dirs=[CHALLENGES],
        secret_key="test-secret-key-0123456789abcdef",
        workers=0,
        max_upload_bytes=LIMIT,
        public_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, pipeline_factory=fake_pipeline)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def svc(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


def add_reviewer(svc: Services) -> dict[str, str]:
    """A reviewer, rev@example.com; the headers that carry a fresh API token of theirs."""
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    return {"Authorization": f"Bearer {create_api_token(svc.db, 'rev@example.com')}"}


def new_invite(
    svc: Services,
    challenge: str = "calculator",
    days: float = 7,
    max_submissions: int = 3,
    who: str = "A",
) -> tuple[Invite, str]:
    """An invite made by no reviewer, and its token."""
    return create_invite(
        svc.db,
        challenge_id=challenge,
        candidate=who,
        expires_days=days,
        max_submissions=max_submissions,
        created_by=None,
    )


@pytest.fixture
def reviewer_headers(svc: Services) -> dict[str, str]:
    return add_reviewer(svc)


@pytest.fixture
def make_invite(svc: Services) -> Callable[..., str]:
    def make(
        challenge: str = "calculator", days: float = 7, max_submissions: int = 3, who: str = "A"
    ) -> str:
        return new_invite(svc, challenge, days, max_submissions, who)[1]

    return make


@pytest.fixture
def live_server(settings: Settings) -> Iterator[tuple[str, Services]]:
    """The app under a real uvicorn on a free loopback port, with one worker thread."""
    with serving(settings, workers=1) as served:
        yield served


@contextmanager
def serving(settings: Settings, *, workers: int) -> Iterator[tuple[str, Services]]:
    """The app over the fake pipeline under a real uvicorn on a free loopback port, with
    `workers` worker threads (0: runs stay queued for the test to complete)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = settings.model_copy(
        update={"workers": workers, "port": port, "public_url": f"http://127.0.0.1:{port}"}
    )
    app = create_app(settings, pipeline_factory=fake_pipeline)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app.state.services
    finally:
        server.should_exit = True
        thread.join(10)


def stored(svc: Services) -> tuple[int, int, int]:
    """(submissions, runs, blob files) the service holds: proof that a refusal stored nothing."""
    with svc.db.reading() as session:
        subs = session.scalar(select(func.count()).select_from(Submission)) or 0
        runs = session.scalar(select(func.count()).select_from(Run)) or 0
    blobs = svc.settings.data_dir / "blobs"
    files = sum(1 for p in blobs.rglob("*") if p.is_file()) if blobs.exists() else 0
    return subs, runs, files


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def reference_files() -> dict[str, bytes]:
    """The calculator's reference solution: path -> content."""
    return dict(load_challenge(CALCULATOR).reference().files)


def reference_archive() -> bytes:
    """The calculator's reference solution as a .tar.gz."""
    return tar_gz(reference_files())


def grade_all(svc: Services) -> list[str]:
    """Run a worker until the queue has nothing due; the run ids it took."""
    worker = svc.worker(name="test-worker")
    taken = []
    while (run_id := worker.run_once()) is not None:
        taken.append(run_id)
    return taken


# A calculator submission graded with findings on both kinds of line, for the review flow tests
# (tests/api/test_review_flow.py and the browser test): `sub` written and `evaluate` calling
# eval() against the starter. Its report is constructed (the fake pipeline finds nothing):
# bandit's B307 on the new eval() line (introduced), ruff's ANN001 on `def mul`, a starter line
# left alone that the diff shows as context (inherited), and a coverage finding on a starter line
# outside the diff (inherited). tests/api/test_changes.py grades a submission like it with the
# real graders in Docker.
CALC_INIT = "calc/__init__.py"
#: `def mul(a, b):` in the starter's calc/__init__.py: three lines below the changed `sub`.
MUL_LINE = 12
#: `mean`'s body in the starter: outside every hunk of the diff.
MEAN_LINE = 21


def changed_calculator() -> tuple[dict[str, bytes], int]:
    """The calculator's starter with `sub` and `evaluate` written, and the eval() line."""
    files = dict(load_challenge(CALCULATOR).starter().files)
    init = files[CALC_INIT]
    init = init.replace(
        b"def sub(a, b):\n    raise NotImplementedError\n", b"def sub(a, b):\n    return a - b\n"
    )
    init = init.replace(
        b"def evaluate(expression):\n    raise NotImplementedError\n",
        b"def evaluate(expression):\n    text = expression.strip()\n    return eval(text)\n",
    )
    files[CALC_INIT] = init
    lines = init.decode().split("\n")
    assert lines[MUL_LINE - 1] == "def mul(a, b):"
    return files, lines.index("    return eval(text)") + 1


def changed_report(eval_line: int) -> Report:
    """A report of `changed_calculator()` at the calculator's current version (see above)."""

    def category(name: str, score: float, *found: Finding) -> CategoryResult:
        return CategoryResult(name=name, score=score, summary=f"{name} summary", findings=found)

    security = Finding(
        rule="B307",
        message="Use of possibly insecure function eval",
        file=CALC_INIT,
        line=eval_line,
        severity=Severity.MEDIUM,
    )
    style = Finding(
        rule="ANN001",
        message="Missing type annotation for function argument `a`",
        file=CALC_INIT,
        line=MUL_LINE,
    )
    coverage = Finding(
        rule="low-coverage", message="line not covered", file=CALC_INIT, line=MEAN_LINE
    )
    version = load_challenge(CALCULATOR).version_hash
    return Report(
        score=55,
        categories={
            "tests": category("tests", 40),
            "coverage": category("coverage", 50, coverage),
            "style": category("style", 80, style),
            "complexity": category("complexity", 100),
            "security": category("security", 60, security),
        },
        provenance={"challenge": {"id": "calculator", "version_hash": version}},
    )


def complete_run(svc: Services, run_id: str, report: Report) -> None:
    """Complete the queued run `run_id` with `report`, as a worker would."""
    claim = svc.queue.claim_run(run_id, "test-worker")
    assert claim is not None
    assert svc.queue.complete(claim, report)
