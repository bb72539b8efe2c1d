"""`takehome events add/list/remove/deliveries/redeliver` through the real command line and
database, with a real receiver on loopback; failures exit through `EXIT_CODES`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, cli
from runner.settings import Settings
from runner.store.records import create_invite, start_clock
from runner.wiring import Wiring
from tests.eventreceiver import Receiver, receiving

SECRET = "cli-secret-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "TAKEHOME_DATA_DIR": str(tmp_path / "data"),
        "TAKEHOME_EVENTS_ALLOW_HTTP": "1",
        "TAKEHOME_GIT_ALLOW_LOOPBACK": "1",
        "TAKEHOME_EVENTS_BACKOFF_SECONDS": "0",
    }


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), stdin, env=env)
    return result.exit_code, result.output


def _wiring(env: dict[str, str]) -> Wiring:
    return Wiring(
        Settings(
            data_dir=Path(env["TAKEHOME_DATA_DIR"]),
            events_allow_http=True,
            git_allow_loopback=True,
            events_backoff_seconds=0,
        )
    )


def _start(wiring: Wiring) -> None:
    invite, _ = create_invite(
        wiring.db,
        challenge_id="calculator",
        candidate="Ada",
        expires_days=1,
        max_submissions=1,
        created_by=None,
    )
    start_clock(wiring.db, invite.id)


def test_add_list_deliver_redeliver_remove(env: dict[str, str]) -> None:
    with receiving(Receiver(SECRET, statuses=[200, 500])) as receiver:
        code, out = _run(
            env,
            "events",
            "add",
            receiver.url,
            "--event",
            "invite.started",
            "--secret-stdin",
            stdin=SECRET + "\n",
        )
        assert code == 0, out
        endpoint_id = out.split()[1].rstrip(":")
        assert f"secret: {SECRET}" in out
        code, out = _run(env, "events", "list")
        assert code == 0
        assert f"{endpoint_id}\t{receiver.url}\tinvite.started" in out
        assert SECRET not in out
        wiring = _wiring(env)
        _start(wiring)
        assert wiring.event_dispatcher.run_once() == 1
        wiring.close()
        code, out = _run(env, "events", "deliveries", "--endpoint", endpoint_id)
        assert code == 0
        delivery_id = out.splitlines()[1].split("\t")[0]
        assert "\tinvite.started\tdelivered\t1\t200\t" in out
        assert "#1 " in out
        code, out = _run(env, "events", "redeliver", delivery_id)  # the receiver answers 500
        assert code == EXIT_CHECK_FAILED
        assert "answered 500" in out
        code, out = _run(env, "events", "deliveries")
        assert "(redelivery)" in out
        code, out = _run(env, "events", "remove", endpoint_id)
        assert code == 0
    assert [r.verified for r in receiver.received] == [True, True]
    code, out = _run(env, "events", "list")
    assert endpoint_id not in out


def test_a_generated_secret_is_printed_once(env: dict[str, str]) -> None:
    code, out = _run(env, "events", "add", "http://127.0.0.1:9/hook")
    assert code == 0, out
    assert "submission.graded, submission.decided, invite.started" in out
    secret = out.split("secret: ")[1].strip()
    assert len(secret) >= 32
    assert secret not in _run(env, "events", "list")[1]


@pytest.mark.parametrize(
    "args",
    [
        ("events", "add", "http://10.0.0.1/hook"),
        ("events", "add", "gopher://127.0.0.1/hook"),
        ("events", "remove", "no-such-endpoint"),
        ("events", "redeliver", "no-such-delivery"),
        ("events", "deliveries", "--endpoint", "no-such-endpoint"),
    ],
)
def test_refusals_exit_as_bad_input(env: dict[str, str], args: tuple[str, ...]) -> None:
    code, out = _run(env, *args)
    assert code == EXIT_BAD_INPUT, out
    assert out.startswith("error: ")
