"""The `takehome` command line.

Exit codes: 0 done; 1 a check failed (validate, doctor); 2 usage error; 3 bad input (archive,
manifest, unknown challenge); 4 infrastructure failure (Docker engine, images).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import uvicorn
from rich.console import Console

from graders import discover_test_ids
from runner.blobs import LocalBlobStore
from runner.celery_app import run_worker
from runner.challenge import ChallengeError, find_challenges, get_challenge
from runner.client import ApiClient, ClientError, InviteClient, parse_invite
from runner.doctor import run_doctor
from runner.engine import open_engine
from runner.intake import IntakeError, IntakeLimits, snapshot_path
from runner.invites import InviteSpec, open_invite
from runner.logs import configure_logging
from runner.render import print_report, render_html
from runner.settings import Settings
from runner.store import open_database
from runner.store.records import (
    AlreadyExists,
    NotFound,
    create_api_token,
    create_reviewer,
)
from runner.store.secrets import UnsafeSettings, check_secrets
from runner.validate import Outcome, validate_challenge
from sandbox import SandboxError
from sandbox.docker import connect
from sandbox.reaper import reap as reap_leftovers

__all__ = ["main"]

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
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


@cli.command()
@click.option("--host", help="Listen address (default: TAKEHOME_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default: TAKEHOME_PORT, 8000).")
@click.option("--workers", type=int, help="Grading worker threads (default: TAKEHOME_WORKERS).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the web service (uvicorn) with grading worker threads in the same process."""
    settings = _settings(ctx)
    try:
        check_secrets(settings)
    except UnsafeSettings as exc:
        _fail(EXIT_USAGE, str(exc))
    # The app reads its settings from the environment: hand the command line's choices on.
    os.environ["TAKEHOME_CHALLENGE_DIRS"] = os.pathsep.join(map(str, settings.challenge_dirs))
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"TAKEHOME_{name}"] = str(value)
    configure_logging(settings.log_format)
    uvicorn.run(
        "api.app:from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=False,
        log_config=None,  # keep the handlers of configure_logging (text or JSON)
    )


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=lambda: os.cpu_count() or 1,
    help="Runs graded at once (threads; default: the number of cores).",
)
@click.option("--hostname", help="Celery node name (default: celery@<host>).")
@click.pass_context
def worker(ctx: click.Context, concurrency: int, hostname: str | None) -> None:
    """Run a Celery grading worker (TAKEHOME_QUEUE=celery, TAKEHOME_BROKER_URL); needs Docker."""
    settings = _settings(ctx)
    if settings.queue != "celery":
        _fail(
            EXIT_USAGE, "`takehome worker` needs TAKEHOME_QUEUE=celery (and TAKEHOME_BROKER_URL)"
        )
    run_worker(settings, concurrency, hostname)


@cli.group()
def users() -> None:
    """Manage reviewer accounts."""


@users.command("create")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_create(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Create a reviewer account (the password is prompted for, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        _fail(EXIT_USAGE, "the password must be at least 8 characters long")
    try:
        create_reviewer(open_database(_settings(ctx)), email, password)
    except AlreadyExists as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    _console.print(f"created reviewer {email}", highlight=False)


@cli.group()
def invites() -> None:
    """Manage candidate invites."""


@invites.command("create")
@click.option("--challenge", "challenge_id", required=True, help="Challenge id.")
@click.option("--candidate", default="candidate", help="Who the invite is for (name or email).")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=7.0)
@click.option("--max-submissions", type=click.IntRange(min=1), default=3)
@click.option(
    "--time-limit-hours",
    type=click.FloatRange(min=0, min_open=True, max=24 * 365),
    help="Put the invite on a clock the candidate starts (default: untimed).",
)
@click.option("--strict", is_flag=True, help="Refuse submissions after the deadline.")
@click.option("--email", help="The candidate's e-mail address (the link is mailed with SMTP).")
@click.pass_context
def invites_create(
    ctx: click.Context,
    *,
    challenge_id: str,
    candidate: str,
    expires_days: float,
    max_submissions: int,
    time_limit_hours: float | None,
    strict: bool,
    email: str | None,
) -> None:
    """Create an invite and print the candidate's link (shown once)."""
    settings = _settings(ctx)
    try:
        challenge = get_challenge(challenge_id, settings.challenge_dirs)
    except (ChallengeError, LookupError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    spec = InviteSpec(
        candidate=candidate,
        expires_days=expires_days,
        max_submissions=max_submissions,
        time_limit_hours=time_limit_hours,
        strict=strict,
        email=email,
    )
    blobs = LocalBlobStore(settings.data_dir / "blobs")
    _invite, token = open_invite(open_database(settings), blobs, challenge, spec)
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    click.echo(f"{base}/i/{token}")


@cli.group()
def tokens() -> None:
    """Manage reviewers' API tokens."""


@tokens.command("create")
@click.argument("email")
@click.pass_context
def tokens_create(ctx: click.Context, email: str) -> None:
    """Create an API token for a reviewer and print it (shown once)."""
    try:
        token = create_api_token(open_database(_settings(ctx)), email)
    except NotFound as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    click.echo(token)


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--challenge", "challenge_id", help="Challenge id (with --token).")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Service URL.")
@click.option("--token", envvar="TAKEHOME_API_TOKEN", help="A reviewer's API token.")
@click.option(
    "--invite",
    envvar="TAKEHOME_INVITE",
    help="Submit as the candidate: an invite link or token (no API token needed).",
)
@click.option("--wait/--no-wait", default=True, help="Wait for the report and print it.")
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds to wait.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path))
def submit(
    *,
    path: Path,
    challenge_id: str | None,
    url: str,
    token: str | None,
    invite: str | None,
    wait: bool,
    timeout: float,
    json_out: Path | None,
    html_out: Path | None,
) -> None:
    """Submit a directory or archive to a running service (the JSON API) and wait for its report.

    As a reviewer: `--challenge` and `--token` (or TAKEHOME_API_TOKEN; `takehome tokens create
    EMAIL`). As a candidate: `--invite` with the invite link (or its token and `--url`), or
    TAKEHOME_INVITE; then what the challenge's feedback policy shows is printed."""
    if invite:
        _submit_invite(path, invite, url, wait=wait, timeout=timeout, json_out=json_out)
        return
    if not challenge_id or not token:
        _fail(EXIT_BAD_INPUT, "give --challenge and --token (a reviewer), or --invite")
        return
    client = ApiClient(url, token)
    try:
        submission_id = client.submit(snapshot_path(path, IntakeLimits()), challenge_id, path.name)
        link = f"{url.rstrip('/')}/reviewer/submissions/{submission_id}"
        _errors.print(f"submitted {path.name} ({challenge_id}): {link}", soft_wrap=True)
        if not wait:
            click.echo(submission_id)
            return
        summary = client.wait(submission_id, timeout)
        if summary["state"] != "done":
            _fail(EXIT_CHECK_FAILED, f"run {summary['state']}: {summary.get('error')}")
        report = client.report(submission_id)
    except IntakeError as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    except ClientError as exc:
        _fail(EXIT_BAD_INPUT if 400 <= exc.status < 500 else EXIT_INFRA, str(exc))
    title = f"{challenge_id} / {path.name}: {report.score:.1f} / 100"
    print_report(_console, report, title=title)
    if json_out:
        json_out.write_text(report.to_json())
    if html_out:
        html_out.write_text(render_html(report))


def _submit_invite(
    path: Path, invite: str, url: str, *, wait: bool, timeout: float, json_out: Path | None
) -> None:
    """`submit --invite`: through the candidate's routes; prints the candidate's status."""
    try:
        base, invite_token = parse_invite(invite, url)
        client = InviteClient(base, invite_token)
        submission_id = client.submit(snapshot_path(path, IntakeLimits()), path.name)
        link = f"{base}/i/{invite_token}/submissions/{submission_id}"
        _errors.print(f"submitted {path.name}: {link}", soft_wrap=True)
        if not wait:
            click.echo(submission_id)
            return
        status = client.wait(submission_id, timeout)
    except IntakeError as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    except ClientError as exc:
        _fail(EXIT_BAD_INPUT if 400 <= exc.status < 500 else EXIT_INFRA, str(exc))
    if json_out:
        json_out.write_text(json.dumps(status, indent=2))
    click.echo(f"state: {status['state']}" + (" (late)" if status.get("late") else ""))
    if "score" in status:
        click.echo(f"score: {status['score']:.1f} / 100")
        for name, score in status.get("categories", {}).items():
            click.echo(f"  {name}: {score:.1f}")
    for test in status.get("tests", []):
        click.echo(f"  {test['outcome']:>8}  {test['id']}")
    if status["state"] != "done":
        _fail(EXIT_CHECK_FAILED, status.get("message", f"submission {status['state']}"))


def main() -> None:
    """Entry point of the `takehome` console script."""
    cli()
