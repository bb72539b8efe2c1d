"""`takehome events add/list/remove/deliveries/redeliver`: outbound event endpoints and their
delivery log from the command line (the same operations as the API, `runner.events`).

Added to the `takehome` group by `runner.cli`; failures exit through its `EXIT_CODES`
(`EventError`, `NotFound`: 3 bad input; `RedeliveryFailed`: 1, the attempt was made and the
endpoint did not take it).
"""

from __future__ import annotations

import sys

import click

from runner.events import (
    EVENTS,
    EventPolicy,
    add_endpoint,
    delivery_log,
    list_endpoints,
    remove_endpoint,
)
from runner.settings import Settings
from runner.wiring import Wiring

__all__ = ["RedeliveryFailed", "events"]


class RedeliveryFailed(Exception):
    """A redelivery was attempted and the endpoint did not answer 2xx."""


def _wiring(ctx: click.Context) -> Wiring:
    settings: Settings = ctx.obj
    return Wiring(settings)


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value is not None else "-"


@click.group()
def events() -> None:
    """Manage outbound event endpoints (signed JSON deliveries to an ATS or a chat relay)."""


@events.command("add")
@click.argument("url")
@click.option(
    "--event",
    "chosen",
    multiple=True,
    type=click.Choice(EVENTS),
    help="An event to subscribe to (repeatable; default: all of them).",
)
@click.option("--secret-stdin", is_flag=True, help="Read the signing secret from stdin.")
@click.pass_context
def events_add(ctx: click.Context, url: str, chosen: tuple[str, ...], secret_stdin: bool) -> None:
    """Add an endpoint; prints its id and its signing secret (shown once)."""
    wiring = _wiring(ctx)
    secret = sys.stdin.readline().strip() if secret_stdin else None
    endpoint, used = add_endpoint(
        wiring.db,
        EventPolicy.from_settings(wiring.settings),
        url,
        chosen or EVENTS,
        secret=secret,
    )
    click.echo(f"endpoint {endpoint.id}: {endpoint.url} ({', '.join(endpoint.subscribed())})")
    click.echo(f"secret: {used}")


@events.command("list")
@click.pass_context
def events_list(ctx: click.Context) -> None:
    """List the endpoints (id, URL, events, created); never the secrets."""
    click.echo("id\turl\tevents\tcreated")
    for endpoint in list_endpoints(_wiring(ctx).db):
        subscribed = ",".join(endpoint.subscribed())
        click.echo(f"{endpoint.id}\t{endpoint.url}\t{subscribed}\t{_when(endpoint.created_at)}")


@events.command("remove")
@click.argument("endpoint_id")
@click.pass_context
def events_remove(ctx: click.Context, endpoint_id: str) -> None:
    """Remove an endpoint with its delivery log: nothing more is sent to it."""
    remove_endpoint(_wiring(ctx).db, endpoint_id)
    click.echo(f"removed endpoint {endpoint_id}")


@events.command("deliveries")
@click.option("--endpoint", "endpoint_id", help="Only this endpoint's deliveries.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.pass_context
def events_deliveries(ctx: click.Context, endpoint_id: str | None, limit: int) -> None:
    """The delivery log, newest first: each delivery's state and its attempts."""
    logs = delivery_log(_wiring(ctx).db, endpoint_id, limit)  # NotFound before any output
    click.echo("delivery\tevent\tstate\tattempts\tlast status\tcreated")
    for log in logs:
        d = log.delivery
        status = d.last_status if d.last_status is not None else "-"
        click.echo(f"{d.id}\t{d.event}\t{d.state}\t{d.attempts}\t{status}\t{_when(d.created_at)}")
        for a in log.attempts:
            outcome = a.status_code if a.status_code is not None else a.error
            again = " (redelivery)" if a.redelivery else ""
            click.echo(
                f"  #{a.number} {_when(a.started_at)} {a.duration_ms:.0f} ms: {outcome}{again}"
            )


@events.command("redeliver")
@click.argument("delivery_id")
@click.pass_context
def events_redeliver(ctx: click.Context, delivery_id: str) -> None:
    """Send a past delivery again now (same id and body) and print how it went."""
    answer = _wiring(ctx).event_dispatcher.redeliver(delivery_id)
    if not answer.ok:
        raise RedeliveryFailed(f"delivery {delivery_id} not delivered: {answer.error}")
    click.echo(f"delivered {delivery_id}: {answer.status}")
