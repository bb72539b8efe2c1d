"""`DockerSandbox` on the real engine: every limit bites, and nothing escapes or is left behind.

The programs run with the tools image's Python, given as argv lists (never a shell with
interpolated input). Wall-clock times are never asserted: the verdict flags and the evidence the
program printed are.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import docker.models.containers
import pytest

from sandbox._engine import freeze
from sandbox.docker import LABEL_MANAGED, LABEL_RUN, DockerSandbox
from sandbox.spec import (
    Execution,
    ImageMissing,
    Limits,
    RunSpec,
    SandboxFailure,
)
from tests.netprobe import Listener, bridge_gateway

pytestmark = pytest.mark.docker

KiB = 1024
MiB = 1024 * KiB
PY = "/opt/takehome/bin/python"
#: Small limits so that every test is quick; each test tightens the one it exercises. The wall
#: clock is the exception: a deadline an honest command never meets on a loaded machine (the
#: suite runs beside the packs' lane), so only the tests about the deadline set a short one.
SMALL = Limits(
    wall_seconds=120,
    memory_bytes=256 * MiB,
    pids=64,
    output_bytes=1 * MiB,
    tmpfs_bytes=16 * MiB,
    workspace_bytes=32 * MiB,
    file_size_bytes=16 * MiB,
    files_out_bytes=4 * MiB,
)

RunPython = Callable[..., Execution]


@pytest.fixture
def run_python(docker_sandbox: DockerSandbox, tools_image: str, run_id: str) -> RunPython:
    """Run a Python program (`code`) or an `argv` under `SMALL` limits changed by `limits`."""

    def run(
        code: str = "",
        *,
        argv: tuple[str, ...] = (),
        limits: dict[str, Any] | None = None,
        **kw: Any,
    ) -> Execution:
        spec = RunSpec(
            image=tools_image,
            argv=argv or (PY, "-c", code),
            run_id=run_id,
            limits=dataclasses.replace(SMALL, **(limits or {})),
            **kw,
        )
        return docker_sandbox.run(spec)

    return run


def _lines(execution: Execution) -> list[str]:
    return execution.stdout.decode().splitlines()


# -- the happy path --------------------------------------------------------------------


def test_a_plain_run_returns_output_exit_code_files_and_provenance(
    run_python: RunPython, docker_sandbox: DockerSandbox, tools_image: str
) -> None:
    ex = run_python(
        "import sys\n"
        "data = open('src/in.txt').read()\n"
        "open('out/result.txt', 'w').write(data.upper())\n"
        "print('to stdout'); print('to stderr', file=sys.stderr); sys.exit(3)",
        files_in={"src/in.txt": (b"hello", 0o444)},
        files_out=("out",),
    )
    assert ex.exit_code == 3
    assert ex.stdout == b"to stdout\n"
    assert ex.stderr == b"to stderr\n"
    assert ex.files_out == {"out/result.txt": b"HELLO"}
    assert not ex.timed_out
    assert not ex.oom_killed
    assert not ex.output_truncated
    assert not ex.files_truncated
    assert not ex.ok
    assert ex.image_id == docker_sandbox.image_id(tools_image)
    assert ex.image_id.startswith("sha256:")


def test_output_written_just_before_exit_is_drained_completely(run_python: RunPython) -> None:
    ex = run_python("import sys; sys.stdout.buffer.write(b'z' * 900 * 1024)")
    assert ex.ok
    assert ex.stdout == b"z" * 900 * KiB
    assert not ex.output_truncated


# -- time ------------------------------------------------------------------------------


def test_a_busy_loop_is_killed_at_the_deadline(run_python: RunPython) -> None:
    ex = run_python("print('started', flush=True)\nwhile True: pass", limits={"wall_seconds": 2})
    assert ex.timed_out
    assert not ex.ok
    assert not ex.oom_killed
    assert ex.stdout == b"started\n"  # what was written before the kill is kept


def test_a_command_that_closes_its_output_is_still_waited_for(run_python: RunPython) -> None:
    # Its output stream ends long before it does: the end of the stream is not the end of the run.
    code = (
        "import os, time\n"
        "print('closing', flush=True)\n"
        "os.close(1); os.close(2)\n"
        "time.sleep(1.5)\n"
        "open('out/done', 'w').write('finished')\n"
        "raise SystemExit(3)\n"
    )
    ex = run_python(code, files_out=("out/done",))
    assert ex.exit_code == 3
    assert not ex.timed_out
    assert ex.stdout == b"closing\n"
    assert ex.files_out == {"out/done": b"finished"}


def test_a_sleeping_command_is_killed_at_the_deadline(run_python: RunPython) -> None:
    ex = run_python(argv=("sleep", "1000"), limits={"wall_seconds": 1.5})
    assert ex.timed_out
    assert not ex.ok


# -- memory and processes ----------------------------------------------------------------


def test_a_memory_bomb_is_oom_killed(run_python: RunPython) -> None:
    ex = run_python(
        "hoard = []\nwhile True: hoard.append(bytearray(1 << 20))",
        limits={"memory_bytes": 128 * MiB},
    )
    assert ex.oom_killed
    assert ex.exit_code == 137
    assert not ex.timed_out
    assert not ex.ok


FORK_BOMB = """
import errno, os, time
n = 0
while True:
    try:
        pid = os.fork()
    except OSError as exc:
        print('fork failed', errno.errorcode[exc.errno], n, flush=True)
        break
    if pid == 0:
        time.sleep(1000)
        os._exit(0)
    n += 1
"""


_CPU_WEIGHT = """
from pathlib import Path
v1, v2 = Path("/sys/fs/cgroup/cpu/cpu.shares"), Path("/sys/fs/cgroup/cpu.weight")
print(("v1 " + v1.read_text()) if v1.exists() else ("v2 " + v2.read_text()))
"""


def test_cpu_shares_reach_the_containers_cgroup(run_python: RunPython) -> None:
    """The relative CPU weight is the container's own (cgroup v1 cpu.shares as given; cgroup v2
    cpu.weight as Docker converts it), so a timed step outweighs a background one."""
    seen = {}
    for shares in (256, 1024, 4096):
        execution = run_python(_CPU_WEIGHT, limits={"cpu_shares": shares})
        assert execution.ok, execution.stderr
        version, value = execution.stdout.decode().split()
        seen[shares] = int(value)
        if version == "v1":
            assert seen[shares] == shares
    assert seen[256] < seen[1024] < seen[4096]


def test_a_fork_bomb_is_contained_by_the_pids_limit(
    run_python: RunPython, docker_client: docker.DockerClient
) -> None:
    ex = run_python(FORK_BOMB, limits={"pids": 32})
    assert not ex.timed_out
    assert ex.exit_code == 0
    fork, failed, code, forked = ex.stdout.decode().split()
    assert (fork, failed, code) == ("fork", "failed", "EAGAIN")
    assert 0 < int(forked) < 32  # the pids limit, not the machine, stopped it
    # The host is fine: the engine answers and the next run works.
    assert docker_client.ping()
    assert docker_client.info()["ServerVersion"]
    assert run_python("print('still fine')").stdout == b"still fine\n"


# -- disk --------------------------------------------------------------------------------

WRITE_UNTIL_ERROR = """
import errno, sys
path, total = sys.argv[1], int(sys.argv[2])
written = 0
try:
    with open(path, 'wb', buffering=0) as f:
        while written < total:
            written += f.write(b'w' * 65536)
except OSError as exc:
    print(errno.errorcode[exc.errno], written)
else:
    print('no error', written)
"""


def test_a_file_cannot_grow_past_the_file_size_limit(run_python: RunPython) -> None:
    ex = run_python(
        argv=(PY, "-c", WRITE_UNTIL_ERROR, "out/big", str(4 * MiB)),
        files_out=("out",),
        limits={"file_size_bytes": 1 * MiB},
    )
    assert _lines(ex) == [f"EFBIG {1 * MiB}"]
    assert ex.files_out == {"out/big": b"w" * MiB}


def test_a_tool_writing_past_the_file_size_limit_is_killed_by_sigxfsz(
    run_python: RunPython,
) -> None:
    ex = run_python(
        argv=("sh", "-c", "head -c 4194304 /dev/zero > out/big"),
        files_out=("out",),
        limits={"file_size_bytes": 1 * MiB},
    )
    assert ex.exit_code == 128 + 25  # SIGXFSZ
    assert b"File size limit exceeded" in ex.stderr
    assert ex.files_out == {"out/big": bytes(MiB)}


def test_the_workspace_is_bounded_by_its_tmpfs_size(run_python: RunPython) -> None:
    ex = run_python(
        argv=(PY, "-c", WRITE_UNTIL_ERROR, "out/fill", str(8 * MiB)),
        limits={"workspace_bytes": 2 * MiB, "file_size_bytes": 64 * MiB},
    )
    code, written = _lines(ex)[0].split()
    assert code == "ENOSPC"
    assert int(written) <= 2 * MiB


def test_tmp_is_bounded_by_its_tmpfs_size(run_python: RunPython) -> None:
    ex = run_python(
        argv=(PY, "-c", WRITE_UNTIL_ERROR, "/tmp/fill", str(8 * MiB)),
        limits={"tmpfs_bytes": 2 * MiB, "file_size_bytes": 64 * MiB},
    )
    code, written = _lines(ex)[0].split()
    assert code == "ENOSPC"
    assert int(written) <= 2 * MiB


# -- output ------------------------------------------------------------------------------


def test_a_stdout_and_stderr_flood_is_capped_and_drained(run_python: RunPython) -> None:
    ex = run_python(
        "import sys\n"
        "for _ in range(50):\n"
        "    sys.stdout.buffer.write(b'o' * (1 << 20))\n"
        "    sys.stderr.buffer.write(b'e' * (1 << 20))\n"
        "print('done', file=sys.stderr)",
        limits={"output_bytes": 64 * KiB},
    )
    assert ex.output_truncated
    assert ex.stdout == b"o" * 64 * KiB
    assert ex.stderr == b"e" * 64 * KiB
    assert ex.exit_code == 0  # drained, so the writer never blocked
    assert not ex.timed_out


# -- network -----------------------------------------------------------------------------


def test_the_only_network_interface_is_loopback(run_python: RunPython) -> None:
    ex = run_python(
        "import socket\n"
        "print(sorted(name for _, name in socket.if_nameindex()))\n"
        "print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))"
    )
    assert _lines(ex) == ["['lo']", "['lo']"]


CONNECT = """
import errno, socket, sys
for host, port in zip(sys.argv[1::2], sys.argv[2::2]):
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        print(host, 'connected')
    except OSError as exc:
        print(host, 'blocked', errno.errorcode.get(exc.errno, exc.errno))
"""


def test_host_listeners_on_loopback_and_on_the_bridge_are_unreachable(
    run_python: RunPython, docker_client: docker.DockerClient
) -> None:
    gateway = bridge_gateway(docker_client)
    loopback, bridge = Listener("127.0.0.1"), Listener(gateway)
    try:
        # The listeners really accept from here, so "blocked" below is the sandbox's doing.
        socket.create_connection(("127.0.0.1", loopback.port), timeout=2).close()
        argv = (PY, "-c", CONNECT, "127.0.0.1", str(loopback.port), gateway, str(bridge.port))
        ex = run_python(argv=argv)
        time.sleep(0.3)
    finally:
        loopback.close()
        bridge.close()
    host1, verdict1, _ = _lines(ex)[0].split()
    host2, verdict2, why2 = _lines(ex)[1].split()
    assert (host1, verdict1) == ("127.0.0.1", "blocked")
    assert (host2, verdict2, why2) == (gateway, "blocked", "ENETUNREACH")
    assert len(loopback.accepted) == 1  # only the test's own probe
    assert bridge.accepted == []


# -- privileges and filesystem -------------------------------------------------------------

PROBE = """
import errno, json, os
def attempt(action):
    try:
        action()
        return 'ok'
    except OSError as exc:
        return errno.errorcode[exc.errno]
status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines())
print(json.dumps({
    'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid(), 'groups': os.getgroups(),
    'status': {k: v.strip() for k, v in status.items()},
    'etc': attempt(lambda: open('/etc/x', 'w')),
    'usr': attempt(lambda: open('/usr/x', 'w')),
    'var_tmp': attempt(lambda: open('/var/tmp/x', 'w')),
    'src_write': attempt(lambda: open('/work/src/given.py', 'a')),
    'src_chmod': attempt(lambda: os.chmod('/work/src/given.py', 0o666)),
    'src_unlink': attempt(lambda: os.unlink('/work/src/given.py')),
    'work_create': attempt(lambda: open('/work/new', 'w')),
    'own_write': attempt(lambda: open('/work/notes.txt', 'a')),
    'out': attempt(lambda: open('/work/out/result', 'w').write('x')),
}))
"""


def test_the_process_is_unprivileged_and_confined(run_python: RunPython) -> None:
    ex = run_python(
        PROBE,
        files_in={"src/given.py": (b"GIVEN = 1\n", 0o444), "notes.txt": (b"", 0o644)},
        files_out=("out", "src"),
    )
    probe = json.loads(ex.stdout)
    assert (probe["uid"], probe["euid"], probe["gid"]) == (65534, 65534, 65534)
    assert probe["groups"] in ([], [65534])
    status = probe["status"]
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert status[cap] == "0000000000000000", cap
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"
    # Read-only root: /var/tmp is world-writable in the image, so only EROFS can refuse it.
    assert probe["var_tmp"] == "EROFS"
    assert probe["etc"] in ("EROFS", "EACCES")
    assert probe["usr"] in ("EROFS", "EACCES")
    # Given sources (no owner-write bit) are root's; the workspace root is not writable.
    assert probe["src_write"] == "EACCES"
    assert probe["src_chmod"] == "EPERM"
    assert probe["src_unlink"] == "EACCES"
    assert probe["work_create"] == "EACCES"
    # Writable given files and out/ are the sandbox user's.
    assert probe["own_write"] == "ok"
    assert probe["out"] == "ok"
    assert ex.files_out == {"out/result": b"x", "src/given.py": b"GIVEN = 1\n"}


def test_no_host_environment_leaks_in(
    run_python: RunPython, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKEHOME_HOST_SECRET", "do-not-leak")
    ex = run_python(argv=("env",), env={"CANDIDATE": "yes"})
    env = dict(line.split("=", 1) for line in _lines(ex))
    assert "TAKEHOME_HOST_SECRET" not in env
    assert b"do-not-leak" not in ex.stdout
    # spec.env and HOME, plus the engine's PATH and HOSTNAME: nothing else.
    assert set(env) == {"CANDIDATE", "HOME", "PATH", "HOSTNAME"}
    assert env["CANDIDATE"] == "yes"
    assert env["HOME"] == "/tmp"
    assert env["HOSTNAME"] == "sandbox"


# -- files out ---------------------------------------------------------------------------

PLANT = """
import os
os.symlink('/etc/passwd', 'out/passwd')
os.symlink('/work/src/x', 'out/src_x')
os.mkfifo('out/fifo')
open('out/real.txt', 'w').write('real')
os.link('out/real.txt', 'out/z_hardlink')  # archived after real.txt, so as a link entry
"""


def test_links_and_fifos_in_out_are_dropped_not_followed(run_python: RunPython) -> None:
    ex = run_python(PLANT, files_in={"src/x": (b"secret", 0o444)}, files_out=("out",))
    assert ex.files_out == {"out/real.txt": b"real"}
    assert ex.files_truncated


def test_a_symlink_named_in_files_out_is_not_followed(run_python: RunPython) -> None:
    ex = run_python(
        "import os; os.symlink('/etc/passwd', 'out/passwd'); os.symlink('/work/src/x', 'out/x')",
        files_in={"src/x": (b"secret", 0o444)},
        files_out=("out/passwd", "out/x"),
    )
    assert ex.files_out == {}
    assert ex.files_truncated


def test_files_out_beyond_the_cap_are_dropped(run_python: RunPython) -> None:
    # "a_big" comes first in the archive: dropping it must not lose the files after it.
    ex = run_python(
        "open('out/a_big', 'wb').write(b'b' * (1 << 20))\n"
        "for name in ('b_one', 'c_two', 'd_three'):\n"
        "    open('out/' + name, 'wb').write(b'f' * 40 * 1024)",
        files_out=("out",),
        limits={"files_out_bytes": 100 * KiB},
    )
    assert ex.files_truncated
    assert ex.files_out == {"out/b_one": b"f" * 40 * KiB, "out/c_two": b"f" * 40 * KiB}


def test_the_cap_is_shared_by_all_files_out_paths(run_python: RunPython) -> None:
    ex = run_python(
        "open('out/one', 'wb').write(b'1' * 60 * 1024)\n"
        "open('out/two', 'wb').write(b'2' * 60 * 1024)",
        files_out=("out/one", "out/two"),
        limits={"files_out_bytes": 100 * KiB},
    )
    assert ex.files_out == {"out/one": b"1" * 60 * KiB}
    assert ex.files_truncated


DAEMON_REWRITES = """
import os, time
open('out/result.txt', 'w').write('original')
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(0.3)  # keeps stdout open, so the run waits a while for the stream
        open('out/result.txt', 'w').write('tampered')
        time.sleep(1000)
    os._exit(0)
"""


def test_a_daemon_cannot_change_outputs_after_the_command_exits(run_python: RunPython) -> None:
    ex = run_python(DAEMON_REWRITES, files_out=("out",))
    assert ex.files_out == {"out/result.txt": b"original"}
    assert not ex.timed_out
    assert ex.exit_code == 0


def test_a_background_daemon_does_not_keep_the_run_alive(
    run_python: RunPython, docker_client: docker.DockerClient, run_id: str
) -> None:
    ex = run_python(
        argv=(
            "sh",
            "-c",
            "setsid sleep 1000 > /dev/null 2>&1 < /dev/null & setsid sleep 1000 & echo started",
        ),
    )
    assert ex.ok
    assert ex.stdout == b"started\n"
    assert not ex.timed_out
    assert (
        docker_client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"}) == []
    )


# -- isolation between runs -------------------------------------------------------------------

LIST_WORKSPACE = """
import os, sys, time
open('out/' + sys.argv[1], 'w').write('mine')
time.sleep(1)  # both runs are alive at once
print(sorted(os.path.join(d, f) for d, _, fs in os.walk('/work') for f in fs))
"""


def test_concurrent_runs_do_not_see_each_other(
    docker_sandbox: DockerSandbox, tools_image: str, new_run_id: Callable[[], str]
) -> None:
    ids = [new_run_id(), new_run_id()]

    def run(run_id: str) -> Execution:
        return docker_sandbox.run(
            RunSpec(
                image=tools_image,
                argv=(PY, "-c", LIST_WORKSPACE, run_id),
                run_id=run_id,
                files_in={f"src/{run_id}.py": (b"", 0o444)},
                limits=SMALL,
            )
        )

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run, ids)
    for run_id, ex in zip(ids, (first, second), strict=True):
        assert _lines(ex) == [str(sorted([f"/work/out/{run_id}", f"/work/src/{run_id}.py"]))]


# -- infrastructure faults ------------------------------------------------------------------


def test_a_missing_image_is_image_missing(
    docker_sandbox: DockerSandbox, run_id: str, docker_client: docker.DockerClient
) -> None:
    image = "takehome-no-such-image:" + run_id
    with pytest.raises(ImageMissing, match="takehome images build"):
        docker_sandbox.image_id(image)
    with pytest.raises(ImageMissing):
        docker_sandbox.run(RunSpec(image=image, argv=("true",), run_id=run_id))


def test_an_engine_refusal_is_a_sandbox_failure_and_cleans_up(
    docker_client: docker.DockerClient, tools_image: str, run_id: str
) -> None:
    sandbox = DockerSandbox(docker_client, runtime="takehome-no-such-runtime")
    with pytest.raises(SandboxFailure):
        sandbox.run(RunSpec(image=tools_image, argv=("true",), run_id=run_id, label="probe"))
    # The leak check (conftest) proves the volume created before the refusal is gone.
    managed = docker_client.volumes.list(
        filters={"label": [f"{LABEL_MANAGED}=1", f"{LABEL_RUN}={run_id}"]}
    )
    assert managed == []


class _Unfreezable:
    """A container whose freezer always gives up (as runc does while a fork bomb races it)."""

    def __init__(self, error: str) -> None:
        self.error, self.pauses = error, 0

    def pause(self) -> None:
        self.pauses += 1
        raise docker.errors.APIError(self.error)


def test_a_container_that_cannot_be_frozen_is_reported_not_raised() -> None:
    stuck = _Unfreezable("OCI runtime pause failed: unable to freeze: unknown")
    assert freeze(stuck) is False  # the caller kills it and keeps no file
    assert stuck.pauses > 1  # it tried again before giving up
    other = _Unfreezable("500 Server Error: no such container")
    with pytest.raises(docker.errors.APIError):
        freeze(other)  # any other engine error stays an infrastructure fault
    assert other.pauses == 1


def test_an_app_that_cannot_be_frozen_is_killed_and_still_stopped(
    docker_sandbox: DockerSandbox,
    tools_image: str,
    run_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a loaded host runc's freezer can give up on a live app ("unable to freeze"): stopping
    the app then kills it and still returns its execution, instead of failing the grading."""
    spec = RunSpec(
        image=tools_image,
        argv=(PY, "-c", "import time; time.sleep(600)"),
        run_id=run_id,
        limits=SMALL,
    )
    app = docker_sandbox.start_service(spec)
    assert app.running()
    attempts: list[str] = []

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        attempts.append(self.id)
        raise docker.errors.APIError("OCI runtime pause failed: unable to freeze: unknown")

    monkeypatch.setattr(docker.models.containers.Container, "pause", refuse)
    result = app.stop()
    assert len(attempts) > 1  # the freeze was retried before the app was killed
    assert result.exit_code == -1  # it was still running when stopped
    assert not result.timed_out
    # The leak check (conftest) proves the killed app's container is gone.
