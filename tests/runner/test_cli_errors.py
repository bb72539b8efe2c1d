"""The CLI's one exception -> exit-code table: each known failure exits with its code and one
`error:` line; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from runner.challenge import ChallengeError, UnknownChallenge
from runner.cli import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_CODES,
    EXIT_INFRA,
    EXIT_USAGE,
    BelowThreshold,
    CheckFailed,
    UsageProblem,
    cli,
    exit_code,
)
from runner.client import ClientError, WaitTimeout
from runner.events import EndpointAddressRefused
from runner.events_cli import RedeliveryFailed
from runner.intake import IntakeError
from runner.settings import UnsafeSettings
from runner.store.records import AlreadyExists, NotFound
from runner.wiring import GraderChecksFailed
from sandbox import EngineUnavailable, ImageMissing, SandboxError, SandboxMisconfigured

CASES: list[tuple[Exception, int]] = [
    (CheckFailed("2 expectation(s) broken"), EXIT_CHECK_FAILED),
    (BelowThreshold("score 6.0 is below the threshold 90 (--min-score)"), EXIT_CHECK_FAILED),
    (GraderChecksFailed({"style": "style self-check: expected F401"}), EXIT_CHECK_FAILED),
    (UsageProblem("needs TAKEHOME_QUEUE=celery"), EXIT_USAGE),
    (UnsafeSettings("TAKEHOME_SECRET_KEY is empty"), EXIT_USAGE),
    (IntakeError("link", "a symbolic link"), EXIT_BAD_INPUT),
    (ChallengeError("bad manifest"), EXIT_BAD_INPUT),
    (UnknownChallenge("unknown challenge 'nope'"), EXIT_BAD_INPUT),
    (AlreadyExists("a reviewer a@example.com exists"), EXIT_BAD_INPUT),
    (NotFound("no reviewer x@example.com"), EXIT_BAD_INPUT),
    (LookupError("no such thing"), EXIT_BAD_INPUT),
    (ClientError("unknown challenge", status=404), EXIT_BAD_INPUT),
    (ClientError("server error", status=500), EXIT_INFRA),
    (ClientError("connection refused"), EXIT_INFRA),
    (WaitTimeout("no report after 900 s"), EXIT_INFRA),
    (SandboxError("engine went away"), EXIT_INFRA),
    (EngineUnavailable("cannot reach the Docker engine"), EXIT_INFRA),
    (ImageMissing("no tools image"), EXIT_INFRA),
    (SandboxMisconfigured("Debian packages need the local base"), EXIT_USAGE),
    (EndpointAddressRefused("the host resolves to 10.0.0.1"), EXIT_BAD_INPUT),
    (RedeliveryFailed("delivery d1 not delivered: answered 500"), EXIT_CHECK_FAILED),
]


def _group_raising(exc: BaseException) -> click.Group:
    """A group of the `takehome` group's own class whose one command raises `exc`."""
    group = type(cli)(name="takehome")

    @group.command()
    def boom() -> None:
        raise exc

    return group


@pytest.mark.parametrize(("exc", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_known_failure_exits_with_its_code_and_one_line(exc: Exception, code: int) -> None:
    assert exit_code(exc) == code
    result = CliRunner().invoke(_group_raising(exc), ["boom"])
    assert result.exit_code == code
    assert result.output.splitlines() == [f"error: {exc}"]


def test_every_entry_of_the_table_is_exercised() -> None:
    covered = {kind for exc, _code in CASES for kind in type(exc).__mro__}
    assert set(EXIT_CODES) <= covered


def test_a_multi_line_message_is_printed_on_one_line() -> None:
    result = CliRunner().invoke(_group_raising(CheckFailed("first\nsecond [b]x[/b]")), ["boom"])
    assert (result.exit_code, result.output) == (
        EXIT_CHECK_FAILED,
        "error: first second [b]x[/b]\n",
    )


def test_an_unknown_exception_is_a_bug_and_is_not_mapped() -> None:
    assert exit_code(ValueError("a bug")) is None
    result = CliRunner().invoke(_group_raising(ValueError("a bug")), ["boom"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)
    assert "error:" not in result.output
