"""Tamper signals of an in-process hidden-tests run: canary tests and consistency checks.

In-process, the candidate's code shares the pytest process that reports the results, so it can
change them (a hook turning failures into passes, a patched reporter, a rewritten JUnit file, a
forced `os._exit(0)`). These checks make such forgery *evident*, not impossible:

- two canary tests are added to every run, in a file and with names derived per run from a key
  that only the trusted process holds (HMAC of the run id): one must pass, one must fail, each
  with arithmetic drawn from the same digest. A report where the must-fail canary passed, or
  where either is missing or reported more than once, was not written by an honest pytest;
- pytest exits 1 whenever a test fails, and one always does: an exit code of 0 means the exit
  was forced;
- an honest pytest reports every test case once: a (classname, name) pair reported twice is an
  attempt to dilute a failing case.

Each signal becomes a `forgery_detected` verdict, and the tests category scores 0. Process
isolation (`[tests] isolation = "isolated"`) is the defence that makes forgery impossible;
these signals are for challenges that must run in-process (objects that are not plain data).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from dataclasses import dataclass

from graders import _junit
from graders.model import TestOutcome

__all__ = ["Canary", "canary_for", "forgery_signs"]

_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class Canary:
    """The canary tests of one run: a file under the hidden tests and its two test names."""

    module: str
    must_pass: str
    must_fail: str
    source: bytes

    @property
    def path(self) -> str:
        """Path relative to the hidden tests folder."""
        return f"{self.module}.py"

    @property
    def classname(self) -> str:
        """The JUnit classname of its cases."""
        return f"tests.{self.module}"


def canary_for(run_id: str) -> Canary:
    """The run's canary tests; the same run id gives the same canary in this process only."""
    digest = hmac.new(_KEY, run_id.encode(), hashlib.sha256).hexdigest()
    module, good, bad = f"test_{digest[:10]}", f"test_{digest[10:20]}", f"test_{digest[20:30]}"
    a, b, c = (int(digest[i : i + 4], 16) for i in (30, 34, 38))
    source = (
        f"def {good}():\n    assert {a} + {b} == {a + b}\n\n\n"
        f"def {bad}():\n    assert {a} * {c} == {a * c + 1 + b % 7}\n"
    ).encode()
    return Canary(module, good, bad, source)


def forgery_signs(canary: Canary, cases: list[_junit.Case], exit_code: int | None) -> list[str]:
    """Why the reported results cannot come from an honest run; empty if nothing is wrong.

    `exit_code` is pytest's, or None when the step did not end on its own (killed at a limit).
    """
    signs: list[str] = []
    if exit_code == 0:
        signs.append("pytest exited 0 although the grader's must-fail canary test is in the run")
    if not cases:
        return signs
    return signs + _repeated_cases(cases) + _canary_outcomes(canary, cases)


def _repeated_cases(cases: list[_junit.Case]) -> list[str]:
    """A sign if any (classname, name) pair is reported more than once (first three named)."""
    twice = [key for key, n in Counter((c.classname, c.name) for c in cases).items() if n > 1]
    if not twice:
        return []
    names = ", ".join(f"{k[0]}::{k[1]}" for k in twice[:3])
    return [f"{len(twice)} test cases were reported more than once ({names})"]


def _canary_outcomes(canary: Canary, cases: list[_junit.Case]) -> list[str]:
    """A sign per canary test that is missing or reported with the wrong outcome."""
    signs: list[str] = []
    outcomes = {c.name: c.outcome for c in cases if c.classname == canary.classname}
    for name, want in ((canary.must_pass, "passed"), (canary.must_fail, "failed")):
        seen = outcomes.get(name)
        if seen is None:
            signs.append(f"the grader's must-{want[:-2]} canary test was never reported")
        elif seen is not TestOutcome(want):
            signs.append(f"the grader's must-{want[:-2]} canary test was reported {seen.value}")
    return signs
