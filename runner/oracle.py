"""The isolated unit oracle's call server: the candidate's code behind a loopback JSON API.

With `[tests] isolation = "isolated"` a unit-mode challenge is graded like a service: the
candidate's container runs the grader's call server (`graders/takehome_oracle.py`, started with
`python -I`, importing the candidate's modules from `/work/src`), and the hidden tests run in a
trusted container that shares only its loopback interface. The server is an `AppUnderTest`
whose `[service]` section the grader writes: readiness, verdicts (the server died, ran out of
memory) and the capped log come for free.
"""

from __future__ import annotations

import secrets

from graders.base import GRADER_DIR, TOOLS_PYTHON
from graders.tests import ORACLE_FILE, ORACLE_SOURCE
from runner._manifest import ServiceSpec
from runner.challenge import Challenge
from runner.intake import Snapshot
from runner.service import AppUnderTest
from sandbox import Sandbox

__all__ = ["call_server", "is_isolated"]

_READY_SECONDS = 20.0


def is_isolated(challenge: Challenge) -> bool:
    """Whether the challenge's hidden tests run outside the candidate's process."""
    manifest = challenge.manifest
    return manifest.mode == "unit" and manifest.tests.isolation == "isolated"


def call_server(
    sandbox: Sandbox, challenge: Challenge, snapshot: Snapshot, run_id: str, image: str
) -> AppUnderTest:
    """The call server for one run, not started yet (use it as a context manager).

    The port is drawn per run: in containers each run has its own loopback, but a sandbox
    without network namespaces (the host sandbox of the tests) shares one.
    """
    port = 20000 + secrets.randbelow(40000)
    service = ServiceSpec(
        command=(TOOLS_PYTHON, "-I", f"{GRADER_DIR}/lib/takehome_oracle.py", "serve"),
        port=port,
        health_path="/healthz",
        ready_seconds=_READY_SECONDS,
    )
    return AppUnderTest(
        sandbox,
        challenge,
        snapshot,
        run_id,
        image,
        service=service,
        grader_files={ORACLE_FILE: (ORACLE_SOURCE, 0o444)},
        timed=False,
    )
