"""The `takehome` command line.

Exit codes: 0 done; 1 a check failed (validate, doctor); 2 usage error; 3 bad input (archive,
manifest, unknown challenge); 4 infrastructure failure (Docker engine, images).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from graders import discover_test_ids
from runner.challenge import ChallengeError, find_challenges, get_challenge
from runner.doctor import run_doctor
from runner.engine import open_engine
from runner.intake import IntakeError, IntakeLimits, snapshot_path
from runner.render import print_report, render_html
from runner.settings import Settings
from runner.validate import Outcome, validate_challenge
from sandbox import SandboxError
from sandbox.docker import connect
from sandbox.reaper import reap as reap_leftovers

__all__ = ["main"]

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 3
EXIT_INFRA = 4

_console = Console()
_errors = Console(stderr=True)


def _fail(code: int, message: str) -> None:
    _errors.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--challenges-dir",
    "challenge_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Folder of challenge packs (repeatable); default: TAKEHOME_CHALLENGE_DIRS.",
)
@click.pass_context
def cli(ctx: click.Context, challenge_dirs: tuple[str, ...]) -> None:
    """takehome: grade take-home submissions in isolated containers."""
    settings = Settings()
    if challenge_dirs:
        settings = settings.model_copy(
            update={"challenge_dirs": [Path(d) for d in challenge_dirs]}
        )
    ctx.obj = settings


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--challenge", "challenge_id", required=True, help="Challenge id.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report JSON here.",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an HTML report here.",
)
@click.pass_context
def grade(
    ctx: click.Context, path: Path, challenge_id: str, json_out: Path | None, html_out: Path | None
) -> None:
    """Grade a directory or archive (tar, tar.gz, zip) against a challenge."""

    settings = _settings(ctx)
    try:
        challenge = get_challenge(challenge_id, settings.challenge_dirs)
        snapshot = snapshot_path(path, IntakeLimits())
        engine = open_engine(settings, log=lambda m: _errors.print(f"[dim]{m}[/]"))
        with _errors.status(f"grading {path.name} against {challenge_id}") as status:
            report = engine.pipeline.grade(
                challenge, snapshot, progress=lambda step, state: status.update(f"{state}: {step}")
            )
    except (IntakeError, ChallengeError, LookupError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    except SandboxError as exc:
        _fail(EXIT_INFRA, str(exc))
    print_report(_console, report, title=f"{path.name}: {report.score:.1f} / 100")
    if json_out:
        json_out.write_text(report.to_json())
    if html_out:
        html_out.write_text(render_html(report))


@cli.group()
def challenges() -> None:
    """List, show and validate challenge packs."""


@challenges.command("list")
@click.pass_context
def challenges_list(ctx: click.Context) -> None:
    """List the challenges found in the challenge folders."""
    try:
        found = find_challenges(*_settings(ctx).challenge_dirs)
    except ChallengeError as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    for cid, challenge in sorted(found.items()):
        m = challenge.manifest
        _console.print(f"{cid}\t{m.version}\t{m.mode}\t{m.title}", highlight=False)


@challenges.command("show")
@click.argument("challenge_id")
@click.pass_context
def challenges_show(ctx: click.Context, challenge_id: str) -> None:
    """Show a challenge's manifest and the ids of its hidden tests."""

    try:
        challenge = get_challenge(challenge_id, _settings(ctx).challenge_dirs)
    except (ChallengeError, LookupError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    _console.print_json(challenge.manifest.model_dump_json())
    _console.print(f"version hash: {challenge.version_hash}")
    expected = challenge.manifest.tests.expected or discover_test_ids(challenge.hidden_tests())
    _console.print(f"hidden tests ({len(expected)}):")
    for test_id in expected:
        _console.print(f"  {test_id}", highlight=False)


@challenges.command("validate")
@click.argument("challenge_id", required=False)
@click.pass_context
def challenges_validate(ctx: click.Context, challenge_id: str | None) -> None:
    """Grade reference, starter and variants; fail when a challenge does not separate them."""

    settings = _settings(ctx)
    try:
        found = find_challenges(*settings.challenge_dirs)
        selected = (
            [get_challenge(challenge_id, settings.challenge_dirs)]
            if challenge_id
            else [found[k] for k in sorted(found)]
        )
        engine = open_engine(settings, log=lambda m: _errors.print(f"[dim]{m}[/]"))
        failed = 0
        for challenge in selected:
            _console.rule(challenge.manifest.id)
            outcomes = validate_challenge(challenge, engine.pipeline, on_graded=_print_outcome)
            failed += sum(not o.ok for o in outcomes)
    except (IntakeError, ChallengeError, LookupError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    except SandboxError as exc:
        _fail(EXIT_INFRA, str(exc))
    if failed:
        _fail(EXIT_CHECK_FAILED, f"{failed} expectation(s) broken")
    _console.print("[green]all expectations hold[/]")


def _print_outcome(outcome: Outcome) -> None:
    r = outcome.report
    cats = "  ".join(f"{k} {v.score:5.1f}" for k, v in r.categories.items())
    mark = "[green]ok[/]" if outcome.ok else "[red]FAIL[/] " + "; ".join(outcome.problems)
    _console.print(
        f"{outcome.name:<28} {r.score:5.1f}  {cats}  ({outcome.expectation}) {mark}",
        highlight=False,
    )
    if not outcome.ok:  # say why, so a broken expectation can be diagnosed from the table
        for verdict in r.verdicts:
            _console.print(f"    verdict {verdict.kind.value} in {verdict.step}: {verdict.detail}")


@cli.group()
def images() -> None:
    """Build the sandbox images."""


@images.command("build")
@click.option("--challenge", "challenge_ids", multiple=True, help="Only these challenges' images.")
@click.pass_context
def images_build(ctx: click.Context, challenge_ids: tuple[str, ...]) -> None:
    """Build base, tools and challenge images (only what changed)."""
    settings = _settings(ctx)
    try:
        found = find_challenges(*settings.challenge_dirs)
        engine = open_engine(settings, log=lambda m: _errors.print(f"[dim]{m}[/]"))
        _console.print(f"base   {engine.images.ensure_base()}")
        _console.print(f"tools  {engine.images.ensure_tools()}")
        for cid in challenge_ids or sorted(found):
            challenge = get_challenge(cid, settings.challenge_dirs)
            tag = engine.images.ensure_challenge(cid, challenge.manifest.dependencies.allowed)
            _console.print(f"{cid:<6} {tag}")
    except (ChallengeError, LookupError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    except SandboxError as exc:
        _fail(EXIT_INFRA, str(exc))


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the engine, the images and every grader's self-test; say what to do when not."""

    ok = run_doctor(_settings(ctx), _console)
    if not ok:
        sys.exit(EXIT_CHECK_FAILED)


@cli.command()
@click.option("--run", "run_id", help="Only this run's leftovers.")
@click.option("--older-than", type=float, help="Only leftovers older than this many seconds.")
def reap(run_id: str | None, older_than: float | None) -> None:
    """Remove sandbox containers, volumes and networks left behind by crashed runs."""

    try:
        reaped = reap_leftovers(connect(), run_id=run_id, older_than=older_than)
    except SandboxError as exc:
        _fail(EXIT_INFRA, str(exc))
    _console.print(
        f"removed {len(reaped.containers)} containers, {len(reaped.volumes)} volumes,"
        f" {len(reaped.networks)} networks"
    )


def main() -> None:
    """Entry point of the `takehome` console script."""
    cli()
