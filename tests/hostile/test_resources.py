"""Hostile submissions that attack resources, graded through the real pipeline in Docker.

Each case is a `solution.py` for the `hostile-tiny` challenge (120 s wall clock, 512 MiB,
32 pids; workspace tmpfs 256 MiB, /tmp 64 MiB, files 64 MiB each). Its hostile code runs inside
the hidden-tests step, when the hidden test calls `answer()`. After every case nothing labelled
with the run id is left on the engine (checked here and again by `tests/conftest.py`).

| case                 | defence                        | expected outcome (asserted)             |
|----------------------|--------------------------------|-----------------------------------------|
| fork bomb            | pids cgroup (32)               | forks fail with EAGAIN below 32         |
| (exponential)        |                                | processes; no timeout or OOM verdict; a |
|                      |                                | benign run graded at the same time      |
|                      |                                | still scores 100                        |
| memory bomb          | memory cgroup, memory =        | `oom_killed` + `no_results` on          |
|                      | memory+swap (512 MiB)          | tests.hidden; tests score 0             |
| disk fill:           | tmpfs sizes (256/64/64 MiB),   | ENOSPC at the tmpfs size in each        |
| /work/out, /tmp,     | RLIMIT_FSIZE 64 MiB, read-only | writable place (all tmpfs: RAM, never   |
| $HOME, /dev/shm,     | root-owned /work, sources and  | the host's disk), EFBIG every 64 MiB;   |
| /work, /work/src,    | grader files                   | EACCES elsewhere; no verdict            |
| /work/grader, cwd    |                                |                                         |
| infinite loop        | host-side wall-clock deadline, | `timed_out` on tests.hidden; tests      |
|                      | container killed (graded at    | score 0                                 |
|                      | 20 s)                          |                                         |
| sleep forever        | host-side wall-clock deadline, | `timed_out` on tests.hidden; tests      |
|                      | container killed (at 20 s)     | score 0                                 |
| daemon (double fork  | container frozen when the      | its later JUnit rewrite never lands     |
| + setsid) outliving  | command ends, then removed     | (test_answer failed, score 0); its      |
| the run              | with all in it                 | connects never reach the host listener; |
|                      |                                | no container left                       |
| stdout/stderr flood  | host-side cap (1 MiB each),    | `output_truncated` on tests.hidden, no  |
| (50 MB to each real  | the rest drained and counted,  | timeout (the writer never blocked)      |
| pipe, past pytest's  | never stored                   |                                         |
| capture)             |                                |                                         |
| millions of tiny     | memory cgroup counts the tmpfs | `oom_killed` on tests.hidden; tests     |
| files in /tmp        | inodes and dentries (graded at | score 0; a benign run at that limit     |
|                      | 192 MiB)                       | scores 100                              |
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graders.model import Report, VerdictKind
from tests.hostile._harness import (
    Grade,
    candidate_kinds,
    evidence_of,
    solution,
)
from tests.netprobe import Listener

pytestmark = pytest.mark.docker

MiB = 1024 * 1024
BENIGN = {"solution.py": "def answer():\n    return 42\n"}


def _tests_step_kinds(report: Report) -> set[VerdictKind]:
    return {v.kind for v in report.verdicts if v.step.startswith("tests.")}


# -- processes -------------------------------------------------------------------------

FORK_BOMB = """
import errno, os, time


def answer():
    me, failures, children, reason = os.getpid(), 0, 0, ""
    for _ in range(40):
        try:
            pid = os.fork()
        except OSError as exc:
            failures += 1
            reason = errno.errorcode[exc.errno]
            continue
        if pid == 0:
            continue  # every child forks on: exponential
        children += 1
    if os.getpid() != me:
        time.sleep(1000)  # hold the pids until the container goes
        os._exit(0)
    return evidence({"failures": failures, "children": children, "reason": reason})
"""


def test_fork_bomb_is_held_by_the_pids_limit_and_other_runs_go_on(graded: Grade) -> None:
    with ThreadPoolExecutor(2) as pool:
        bomb_future = pool.submit(graded, solution(FORK_BOMB))
        time.sleep(1)  # the benign run starts while the bomb is going off
        benign = pool.submit(graded, BENIGN).result()
        bomb = bomb_future.result()
    assert benign.categories["tests"].score == 100
    assert candidate_kinds(benign) == set()
    assert bomb.categories["tests"].score == 0
    if VerdictKind.TAMPER_SUSPECTED in candidate_kinds(bomb):
        # The bomb's children were still forking when the command ended and the freezer gave
        # up on every try: the container was killed and nothing it wrote was kept.
        assert VerdictKind.NO_RESULTS in _tests_step_kinds(bomb)
        return
    seen = evidence_of(bomb)
    assert seen["reason"] == "EAGAIN"
    assert seen["failures"] > 0
    assert 0 < seen["children"] < 32  # the pids limit stopped it, not the machine
    assert candidate_kinds(bomb) == set()  # no timeout, no OOM: the bomb just fizzled


MEMORY_BOMB = """
def answer():
    hoard = []
    while True:
        hoard.append(bytearray(16 << 20))
"""


def test_memory_bomb_is_oom_killed(graded: Grade) -> None:
    report = graded(solution(MEMORY_BOMB))
    kinds = _tests_step_kinds(report)
    assert VerdictKind.OOM_KILLED in kinds
    assert VerdictKind.NO_RESULTS in kinds  # killed before pytest could write its report
    assert VerdictKind.TIMED_OUT not in kinds
    assert report.categories["tests"].score == 0


# -- disk --------------------------------------------------------------------------------

DISK_FILL = """
import errno, os, shutil


def fill(folder):
    written, files, codes = 0, 0, []
    try:
        os.makedirs(folder + "/fill", exist_ok=True)
    except OSError as exc:
        return {"error": errno.errorcode[exc.errno], "mib": 0, "efbig": 0}
    while True:
        try:
            with open(f"{folder}/fill/{files}", "wb", buffering=0) as out:
                files += 1
                while True:
                    written += out.write(b"x" * (1 << 20))
        except OSError as exc:
            codes.append(errno.errorcode[exc.errno])
            if exc.errno != errno.EFBIG or files > 20:
                break
    shutil.rmtree(folder + "/fill", ignore_errors=True)  # room for pytest's own report
    return {"error": codes[-1], "mib": written >> 20, "efbig": codes.count("EFBIG")}


def fstype(path):
    best = ("", "")
    for line in open("/proc/mounts"):
        _dev, point, kind = line.split()[:3]
        if (path + "/").startswith(point.rstrip("/") + "/") and len(point) > len(best[0]):
            best = (point, kind)
    return best[1]


def answer():
    places = {
        "out": "/work/out", "tmp": "/tmp", "home": os.environ["HOME"], "shm": "/dev/shm",
        "work": "/work", "src": "/work/src", "grader": "/work/grader", "cwd": os.getcwd(),
    }
    found = {}
    for name, folder in places.items():
        found[name] = fill(folder)
        found[name]["fs"] = fstype(os.path.realpath(folder))
    return evidence(found)
"""


def test_disk_fill_in_every_writable_place_is_bounded(graded: Grade) -> None:
    seen = evidence_of(graded(solution(DISK_FILL)))
    # The workspace volume: 256 MiB of tmpfs, files capped at 64 MiB each.
    assert (seen["out"]["error"], seen["out"]["fs"]) == ("ENOSPC", "tmpfs")
    assert 200 <= seen["out"]["mib"] <= 256
    assert seen["out"]["efbig"] >= 3
    for name in ("tmp", "home", "shm"):  # HOME is /tmp: 64 MiB tmpfs; /dev/shm: 64 MiB
        assert (seen[name]["error"], seen[name]["fs"]) == ("ENOSPC", "tmpfs"), name
        assert 48 <= seen[name]["mib"] <= 64, name
    # The workspace root, the sources and the grader's files are root's and read-only.
    for name in ("work", "src", "grader", "cwd"):
        assert seen[name]["error"] == "EACCES", name
        assert seen[name]["mib"] == 0, name


# -- time --------------------------------------------------------------------------------

BUSY_LOOP = """
def answer():
    while True:
        pass
"""
SLEEP_FOREVER = """
import threading


def answer():
    threading.Event().wait()
"""


#: The deadline the hanging cases are graded at: short, since each waits it out in full.
HANG_WALL_SECONDS = 20


def test_a_busy_loop_and_a_sleep_forever_are_killed_at_the_deadline(graded: Grade) -> None:
    def hang(body: str) -> Report:
        return graded(solution(body), wall_seconds=HANG_WALL_SECONDS)

    with ThreadPoolExecutor(2) as pool:  # both hang for the full 20 s: wait for them together
        busy, asleep = pool.map(hang, [BUSY_LOOP, SLEEP_FOREVER])
    for report in (busy, asleep):
        kinds = _tests_step_kinds(report)
        assert VerdictKind.TIMED_OUT in kinds
        assert VerdictKind.OOM_KILLED not in kinds
        assert report.categories["tests"].score == 0


# -- a daemon that outlives the command ---------------------------------------------------

DAEMON = """
import os, socket, time

FORGED = (
    '<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="1">'
    '<testcase classname="tests.test_answer" name="test_answer" time="0.01"/>'
    "</testsuite></testsuites>"
)


def daemon(port):
    time.sleep(1.0)  # well after pytest has exited
    for path in ("/work/out/junit.xml", "/work/out/DAEMON_WAS_HERE"):
        try:
            with open(path, "w") as out:
                out.write(FORGED)
        except OSError:
            pass
    for _ in range(50):
        for host in ("127.0.0.1", "172.17.0.1"):
            try:
                socket.create_connection((host, port), timeout=0.2).close()
            except OSError:
                pass
        time.sleep(0.1)


def answer():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for fd in range(3):
                os.close(fd)
            daemon(PORT)
        os._exit(0)
    return 0  # the honest answer is wrong: only a forgery could make the test pass
"""


def test_a_daemon_cannot_outlive_the_run_or_change_its_result(graded: Grade) -> None:
    listener = Listener()
    try:
        report = graded(solution(DAEMON.replace("PORT", str(listener.port))))
        time.sleep(1.5)  # the daemon's whole schedule, had it survived
    finally:
        listener.close()
    tests = report.categories["tests"]
    assert [(t.id, t.outcome.value) for t in tests.tests if "test_answer" in t.id] == [
        ("tests/test_answer.py::test_answer", "failed")
    ]
    assert tests.score == 0
    assert "answer() returned 0" in " ".join(t.message for t in tests.tests)
    assert listener.accepted == []
    assert candidate_kinds(report) == set()  # the command itself ended normally


# -- output ------------------------------------------------------------------------------

FLOOD = """
import os, stat


def answer():
    # pytest captures fds 1 and 2; the original pipes of the exec are among its saved fds.
    pipes = [fd for fd in range(256) if _is_pipe(fd)]
    chunk = b"flood" * 200_000  # 1 MB
    for _ in range(50):
        for fd in pipes:
            os.write(fd, chunk)
    return evidence({"pipes": len(pipes)})


def _is_pipe(fd):
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False
"""


def test_a_stdout_and_stderr_flood_is_capped(graded: Grade) -> None:
    report = graded(solution(FLOOD))
    assert evidence_of(report)["pipes"] >= 2  # it found the real stdout and stderr
    kinds = _tests_step_kinds(report)
    assert VerdictKind.OUTPUT_TRUNCATED in kinds
    assert VerdictKind.TIMED_OUT not in kinds  # drained: the writer never blocked
    assert report.categories["tests"].score == 0


TINY_FILES = """
import os


def answer():
    os.mkdir("/tmp/many")
    n = 0
    while n < 5_000_000:  # a long name: more kernel memory per file than a short one
        os.mknod(f"/tmp/many/{n:0>200}", 0o600)
        n += 1
    return evidence({"created": n})
"""
#: The tiny-files case runs under this memory limit instead of hostile-tiny's 512 MiB. The
#: defence is the same cgroup either way; a smaller one is reached after ~100k files instead of
#: ~450k (about 1.2 KiB of kernel memory each, measured), so the case ends by OOM in a few
#: seconds even on a machine busy with other gradings (at 512 MiB, a loaded CI run once reached
#: the old 20 s wall clock first).
TINY_FILES_MEMORY_MB = 192


def test_millions_of_tiny_files_are_bounded_by_the_memory_limit(graded: Grade) -> None:
    control = graded(BENIGN, memory_mb=TINY_FILES_MEMORY_MB)  # the limit alone kills nothing
    assert control.categories["tests"].score == 100
    assert VerdictKind.OOM_KILLED not in candidate_kinds(control)
    report = graded(solution(TINY_FILES), memory_mb=TINY_FILES_MEMORY_MB)
    kinds = _tests_step_kinds(report)
    assert VerdictKind.OOM_KILLED in kinds
    assert VerdictKind.TIMED_OUT not in kinds
    assert report.categories["tests"].score == 0
