"""`takehome doctor`: is this machine ready to grade? Each check says what to do when it fails."""

from __future__ import annotations

from rich.console import Console

from graders import all_graders
from runner.challenge import Challenge, ChallengeError, find_challenges
from runner.settings import Settings
from runner.wiring import check_graders
from sandbox import SandboxError, SandboxMisconfigured
from sandbox.docker import DockerSandbox, connect
from sandbox.images import ImageBuilder

__all__ = ["run_doctor"]


def run_doctor(settings: Settings, console: Console) -> bool:
    """Run every check, print one line each, and return whether all passed."""
    try:
        client = connect()
    except SandboxError as exc:
        console.print(f"[red]✗ engine[/] {exc}")
        return False
    console.print(f"[green]✓ engine[/] Docker {client.version().get('Version', '?')}")
    builder = ImageBuilder(client, settings.images(), log=lambda _m: None)
    try:
        tools = builder.tools_tag()
        client.images.get(tools)
        console.print(f"[green]✓ images[/] {builder.base_tag()}, {tools}")
    except Exception as exc:  # any failure here means: build the images
        console.print(f"[red]✗ images[/] {exc}: run `takehome images build`")
        return False
    ok = _graders(DockerSandbox(client, runtime=settings.runtime), tools, console)
    try:
        found = find_challenges(*settings.challenge_dirs)
        console.print(
            f"[green]✓ challenges[/] {len(found)} found: {', '.join(sorted(found)) or '-'}"
        )
    except ChallengeError as exc:
        console.print(f"[red]✗ challenges[/] {exc}")
        return False
    return _buildable(builder, found, console) and ok


def _buildable(builder: ImageBuilder, found: dict[str, Challenge], console: Console) -> bool:
    """Whether these image settings can build every challenge's image: a worker that cannot
    fails that challenge's runs at once (`SandboxMisconfigured`), so every worker of a
    deployment needs settings that can."""
    ok = True
    for cid, challenge in sorted(found.items()):
        debian = challenge.manifest.image.debian
        try:
            if debian:
                builder.debian_base_tag(debian)
        except SandboxMisconfigured as exc:
            ok = False
            console.print(f"[red]✗ challenge {cid}[/] {exc}")
    return ok


def _graders(sandbox: DockerSandbox, tools: str, console: Console) -> bool:
    """The checks a worker runs before it takes runs (`runner.wiring`), one line a grader."""
    try:
        failures = check_graders(sandbox, tools)
    except SandboxError as exc:
        console.print(f"[red]✗ graders[/] {exc}")
        return False
    for name in all_graders():
        if name in failures:
            console.print(f"[red]✗ grader {name}[/] {failures[name]}")
        else:
            console.print(f"[green]✓ grader {name}[/] self-check passed")
    return not failures
