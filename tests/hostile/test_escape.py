"""Hostile submissions that try to get out: network, host files, secrets, privileges, links.

Graded through the real pipeline in Docker against `hostile-tiny` (see `test_resources`); the
submission's `answer()` probes and returns its evidence, which reaches the report in the hidden
test's failure message. The host side is checked independently: its listener, its canary files,
its environment.

| case                 | defence                        | expected outcome (asserted)             |
|----------------------|--------------------------------|-----------------------------------------|
| TCP/UDP to a         | `--network none`: loopback     | TCP: ENETUNREACH (ECONNREFUSED on the   |
| listener on 0.0.0.0  | only, no route, no resolver    | container's own loopback); UDP:         |
| of this host via     |                                | ENETUNREACH; every name: gaierror; the  |
| 127.0.0.1, the       |                                | listener accepts nothing                |
| bridge gateway,      |                                |                                         |
| every host IP; DNS   |                                |                                         |
| names                |                                |                                         |
| read host files:     | the image's own root           | EACCES / ENOENT; the canary's text is   |
| /etc/shadow, a host  | filesystem, user 65534         | nowhere in the report                   |
| canary by its host   |                                |                                         |
| path                 |                                |                                         |
| environment secret   | every exec's env is built from | the canary is neither in the env, nor   |
| of the grading       | scratch                        | PID 1's env, nor the report             |
| process              |                                |                                         |
| the Docker socket    | never mounted                  | no socket at any usual path             |
| write outside the    | read-only root; sources and    | EROFS / EACCES / EPERM, each asserted   |
| workspace: /etc,     | grader files root-owned, read- |                                         |
| /usr, tools venv,    | only                           |                                         |
| hidden tests, own    |                                |                                         |
| sources, /work,      |                                |                                         |
| /var/tmp             |                                |                                         |
| setuid /             | intake keeps only the exec     | sources 0444 root's; every call EPERM;  |
| capabilities: setuid | bit; cap_drop=ALL, no-new-     | setuid-root mount runs as 65534;        |
| bits in the archive, | privileges, default seccomp,   | CapEff/CapBnd 0, NoNewPrivs 1, Seccomp  |
| setuid-root          | nosuid mounts                  | 2                                       |
| binaries, unshare,   |                                |                                         |
| mount, chown,        |                                |                                         |
| setuid(0)            |                                |                                         |
| symlinks planted in  | copy-out through the engine's  | links dropped: `no_results` +           |
| the output folder    | archive API (container-scoped, | `files_truncated` on both steps, scores |
| (JUnit, coverage     | links never followed), regular | 0; no target content in the report;     |
| reports ->           | files only                     | host files unchanged                    |
| /etc/passwd, a host  |                                |                                         |
| canary path)         |                                |                                         |
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import tarfile
import time
import uuid
from pathlib import Path

import docker
import pytest

from graders.model import VerdictKind
from runner.intake import snapshot_bytes
from tests.hostile._harness import (
    Grade,
    candidate_kinds,
    evidence_of,
    host_addresses,
    solution,
    strings_of,
)
from tests.netprobe import Listener, bridge_gateway

pytestmark = pytest.mark.docker


# -- network -------------------------------------------------------------------------------


SOCKETS = """
import errno, socket

TARGETS = ADDRESSES
NAMES = HOSTNAMES
PORT = THEPORT


def why(exc):
    if isinstance(exc, socket.gaierror):
        return "gaierror"
    return errno.errorcode.get(exc.errno, str(exc.errno))


def answer():
    tcp, udp, dns = {}, {}, {}
    for host in TARGETS:
        try:
            socket.create_connection((host, PORT), timeout=2).close()
            tcp[host] = "CONNECTED"
        except OSError as exc:
            tcp[host] = why(exc)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(b"x", (host, PORT))
                udp[host] = "SENT"
            except OSError as exc:
                udp[host] = why(exc)
    for name in NAMES:
        try:
            dns[name] = socket.getaddrinfo(name, PORT, socket.AF_INET)[0][4][0]
        except OSError as exc:
            dns[name] = why(exc)
    links = sorted(n for _, n in socket.if_nameindex())
    return evidence({"tcp": tcp, "udp": udp, "dns": dns, "links": links})
"""


def test_no_connection_reaches_a_listener_on_this_host(
    graded: Grade, docker_client: docker.DockerClient
) -> None:
    listener = Listener()
    gateway = bridge_gateway(docker_client)
    targets = sorted({"127.0.0.1", gateway, *host_addresses()})
    names = [
        "host.docker.internal",
        "gateway.docker.internal",
        socket.gethostname(),
        "example.com",
    ]
    try:
        # Every target reaches the listener from the host: "blocked" is the sandbox's doing.
        for host in targets:
            socket.create_connection((host, listener.port), timeout=2).close()
        for _ in range(100):  # the accept thread catches up (bounded, never a timing assertion)
            if len(listener.accepted) == len(targets):
                break
            time.sleep(0.05)
        reached = len(listener.accepted)
        assert reached == len(targets)
        code = (
            SOCKETS.replace("ADDRESSES", repr(targets))
            .replace("HOSTNAMES", repr(names))
            .replace("THEPORT", str(listener.port))
        )
        report = graded(solution(code))
        time.sleep(0.3)  # anything in flight lands before the listener closes
    finally:
        listener.close()
    assert len(listener.accepted) == reached  # nothing from the sandbox, ever
    seen = evidence_of(report)
    assert seen["links"] == ["lo"]
    for host in targets:
        # 127.0.0.1 is the container's own loopback, where nothing listens.
        want = "ECONNREFUSED" if host.startswith("127.") else "ENETUNREACH"
        assert seen["tcp"][host] == want, host
        # UDP to the container's own loopback is sent into the void; elsewhere there is no route.
        assert seen["udp"][host] == ("SENT" if host.startswith("127.") else "ENETUNREACH"), host
    # No resolver answers: the names of the host, of Docker's helpers and of the internet alike.
    assert seen["dns"] == dict.fromkeys(names, "gaierror")


# -- host files, secrets, the Docker socket ----------------------------------------------

SECRETS = """
import errno, os


def attempt(call):
    try:
        return "READ " + call()[:40]
    except OSError as exc:
        return errno.errorcode[exc.errno]


def answer():
    sockets = ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"]
    pid1 = "READ " + open("/proc/1/environ").read()
    return evidence({
        "env": sorted(os.environ),
        "env_has_canary": any("CANARY" in k or "SECRET_VALUE" in v for k, v in os.environ.items()),
        "pid1_env": sorted(k.split("=")[0] for k in pid1.removeprefix("READ ").split("\\0") if k),
        "shadow": attempt(lambda: open("/etc/shadow").read()),
        "host_canary": attempt(lambda: open("HOST_CANARY").read()),
        "host_home": attempt(lambda: str(os.listdir("HOST_DIR"))),
        "sockets": [os.path.exists(path) for path in sockets],
    })
"""


def test_host_files_secrets_and_the_docker_socket_are_out_of_reach(
    graded: Grade, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "takehome-canary-" + uuid.uuid4().hex
    monkeypatch.setenv("TAKEHOME_HOSTILE_CANARY", secret)
    canary = tmp_path / "host-canary.txt"
    canary.write_text(secret)
    code = (
        SECRETS.replace("SECRET_VALUE", secret)
        .replace("HOST_CANARY", str(canary))
        .replace("HOST_DIR", str(tmp_path))
    )
    report = graded(solution(code))
    seen = evidence_of(report)
    assert not seen["env_has_canary"]
    assert "TAKEHOME_HOSTILE_CANARY" not in seen["env"]
    assert set(seen["env"]) & set(os.environ) <= {"PATH", "HOME", "HOSTNAME"} | {
        k for k in seen["env"] if k.startswith(("PYTHON", "PYTEST", "TAKEHOME_ORACLE"))
    }
    assert seen["pid1_env"] == ["HOME", "HOSTNAME", "PATH"]  # the holder: nothing of the host
    assert seen["shadow"] == "EACCES"
    assert seen["host_canary"] == "ENOENT"  # the host's tmp folder does not exist in there
    assert seen["host_home"] == "ENOENT"
    assert seen["sockets"] == [False, False, False]
    assert not any(secret in text for text in strings_of(report.model_dump(mode="json")))


# -- writes outside the workspace, privileges --------------------------------------------

PRIVILEGES = """
import ctypes, errno, os, subprocess


def attempt(call):
    try:
        call()
        return "ok"
    except OSError as exc:
        return errno.errorcode[exc.errno]


def write(path):
    return attempt(lambda: open(path, "a").close())


def libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    return "ok" if getattr(libc, name)(*args) == 0 else errno.errorcode[ctypes.get_errno()]


def answer():
    status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
    tool = os.stat("/work/src/bin/tool.sh")
    mount = subprocess.run(["/usr/bin/mount", "-t", "tmpfs", "none", "/tmp"], capture_output=True)
    open("/work/out/mine", "w").close()
    return evidence({
        "etc": write("/etc/passwd"), "usr": write("/usr/lib/x"),
        "venv": write("/opt/takehome/lib/python3.11/site-packages/_pytest/__init__.py"),
        "hidden": write("/work/grader/tests/test_answer.py"), "root": write("/work/x"),
        "own_src": write("/work/src/solution.py"),
        "chmod_src": attempt(lambda: os.chmod("/work/src/solution.py", 0o777)),
        "var_tmp": write("/var/tmp/x"),
        "setuid0": attempt(lambda: os.setuid(0)),
        "chown": attempt(lambda: os.chown("/work/out/mine", 0, 0)),
        "suid_out": attempt(lambda: os.chmod("/work/out/mine", 0o4755)),
        "unshare_user": libc_call("unshare", 0x10000000),
        "unshare_mnt": libc_call("unshare", 0x00020000),
        "mount_syscall": libc_call("mount", b"none", b"/tmp", b"tmpfs", 0, None),
        "mount_bin": [mount.returncode, b"superuser" in mount.stderr],
        "tool_mode": oct(tool.st_mode & 0o7777), "tool_uid": tool.st_uid,
        "cap_eff": status["CapEff"].strip(), "cap_bnd": status["CapBnd"].strip(),
        "nnp": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip(),
        "uid": [os.getuid(), os.geteuid()],
    })
"""


def _setuid_tar(files: dict[str, str]) -> bytes:
    """A tar whose members carry setuid, setgid and sticky bits and a root owner."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid = len(data), 0, 0
            info.mode = 0o7755 if name.endswith(".sh") else 0o4644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_no_write_outside_the_workspace_and_no_privilege(graded: Grade) -> None:
    files = solution(PRIVILEGES, **{"bin/tool.sh": "#!/bin/sh\nid -u\n"})
    snapshot = snapshot_bytes(_setuid_tar(files), "setuid.tar")
    report = graded(snapshot=snapshot)
    seen = evidence_of(report)
    for name in ("etc", "usr", "venv"):
        assert seen[name] in ("EROFS", "EACCES"), name
    assert (
        seen["var_tmp"] == "EROFS"
    )  # world-writable in the image: only the read-only root says no
    for name in ("hidden", "root", "own_src"):
        assert seen[name] == "EACCES", name
    assert seen["chmod_src"] == "EPERM"
    assert seen["setuid0"] == "EPERM"
    assert seen["chown"] == "EPERM"
    assert seen["suid_out"] == "ok"  # allowed on its own file, and meaningless: see nosuid, NNP
    assert seen["unshare_user"] == "EPERM"
    assert seen["unshare_mnt"] == "EPERM"
    assert seen["mount_syscall"] == "EPERM"
    assert seen["mount_bin"] == [32, True]  # setuid-root mount ran as 65534: "must be superuser"
    assert snapshot.executable == {"bin/tool.sh"}  # intake kept the exec bit, nothing else
    assert seen["tool_mode"] == "0o444"  # and the grader hands sources in read-only
    assert seen["tool_uid"] == 0
    assert (seen["cap_eff"], seen["cap_bnd"]) == ("0000000000000000", "0000000000000000")
    assert (seen["nnp"], seen["seccomp"]) == ("1", "2")
    assert seen["uid"] == [65534, 65534]
    assert candidate_kinds(report) == set()


# -- links planted in the output folder ---------------------------------------------------------

PLANT = """
import atexit, os

TARGETS = {"junit.xml": "HOST_CANARY", "passwd": "/etc/passwd", "shadow": "/etc/shadow",
           "environ": "/proc/1/environ", "canary": "HOST_CANARY"}


def plant():
    for name, target in TARGETS.items():
        path = "/work/out/" + name
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)


# After pytest has written its JUnit report, swap it for a link.
atexit.register(plant)


def answer():
    return 0
"""
# The candidate's own tests run in the coverage step: there the links replace its reports.
PLANT_COVERAGE = """
import os

for name in ("coverage.json", "coverage-meta.json", "candidate-junit.xml"):
    path = "/work/out/" + name
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink("/etc/passwd" if name != "coverage.json" else "HOST_CANARY", path)


def test_nothing():
    assert True
"""


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_links_planted_in_the_output_folder_are_never_followed(
    graded: Grade, tmp_path: Path
) -> None:
    secret = "host-canary-" + uuid.uuid4().hex
    canary = tmp_path / "canary.txt"
    canary.write_text(secret)
    before = _fingerprint(canary), _fingerprint(Path("/etc/passwd"))
    files = {
        "solution.py": PLANT.replace("HOST_CANARY", str(canary)),
        "tests/test_own.py": PLANT_COVERAGE.replace("HOST_CANARY", str(canary)),
    }
    report = graded(files)
    assert (_fingerprint(canary), _fingerprint(Path("/etc/passwd"))) == before
    texts = strings_of(report.model_dump(mode="json"))
    assert not any(secret in text for text in texts)
    assert not any("root:x:0:0" in text for text in texts)  # /etc/passwd of neither side
    by_step = {(v.step, v.kind) for v in report.verdicts}
    assert ("tests.hidden", VerdictKind.FILES_TRUNCATED) in by_step
    assert ("tests.hidden", VerdictKind.NO_RESULTS) in by_step
    assert report.categories["tests"].score == 0
    assert ("coverage.candidate", VerdictKind.FILES_TRUNCATED) in by_step
    assert report.categories["coverage"].score == 0
