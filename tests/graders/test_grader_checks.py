"""Every grader's self-check passes against the real tools, and fails loudly when it must."""

from __future__ import annotations

import pytest

from graders.base import GraderCheckFailed
from graders.registry import all_graders
from sandbox import Execution, FakeSandbox, Sandbox

NAMES = ["tests", "coverage", "style", "complexity", "security"]


@pytest.mark.parametrize("name", NAMES)
def test_check_passes_with_real_tools(name: str, host_sandbox: Sandbox) -> None:
    all_graders()[name].check(host_sandbox, "takehome/python:test")


@pytest.mark.parametrize("name", NAMES)
def test_check_fails_when_the_tool_reports_nothing(name: str) -> None:
    sandbox = FakeSandbox(lambda _spec: Execution(0, b"", b"", 0.1))
    with pytest.raises(GraderCheckFailed, match=f"^{name} self-check: expected "):
        all_graders()[name].check(sandbox, "img")
    assert all(spec.image == "img" for spec in sandbox.specs)
