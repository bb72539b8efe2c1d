"""Shared mechanics: limit flags as verdicts, safe parsing, and no grader ever raising."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders._steps import (
    ToolOutputError,
    cap_findings,
    flag_verdicts,
    parse_json,
    parse_xml,
    relative_path,
)
from graders.base import GradingInput
from graders.model import Finding, VerdictKind
from graders.registry import all_graders
from sandbox import Execution


def test_every_flag_is_a_verdict_of_its_step() -> None:
    execution = Execution(
        -9,
        b"",
        b"",
        1.0,
        timed_out=True,
        oom_killed=True,
        output_truncated=True,
        files_truncated=True,
        unfrozen=True,
    )
    verdicts = flag_verdicts("style.ruff", execution)
    assert [(v.kind, v.step) for v in verdicts] == [
        (VerdictKind.TIMED_OUT, "style.ruff"),
        (VerdictKind.OOM_KILLED, "style.ruff"),
        (VerdictKind.OUTPUT_TRUNCATED, "style.ruff"),
        (VerdictKind.FILES_TRUNCATED, "style.ruff"),
        (VerdictKind.TAMPER_SUSPECTED, "style.ruff"),
    ]
    assert "could not be frozen" in verdicts[-1].detail


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
        b'<!ENTITY x "y"><a/>',
        b"<!doctype a><a/>",
        b"<a>\xff</a>",
        b"<a>",
        b"<" * 100,
    ],
)
def test_parse_xml_refuses(data: bytes) -> None:
    with pytest.raises(ToolOutputError):
        parse_xml(data, "x.xml")


def test_parse_xml_ignores_declared_encoding() -> None:
    root = parse_xml('<?xml version="1.0" encoding="utf-16"?><a>é</a>'.encode(), "x.xml")
    assert root.text == "é"


def test_parse_json_refuses_deep_nesting() -> None:
    with pytest.raises(ToolOutputError):
        parse_json(b"[" * 100_000, "x.json")


def test_relative_path_and_cap() -> None:
    assert relative_path("/work/src/a/b.py") == "a/b.py"
    assert relative_path("/elsewhere/b.py") == "/elsewhere/b.py"
    findings = [Finding(rule="R", message=str(i)) for i in range(7)]
    capped = cap_findings(findings, 5)
    assert [f.rule for f in capped] == ["R"] * 5 + ["truncated"]
    assert capped[-1].message == "2 more findings not listed"


_INP = GradingInput(
    "r",
    "img",
    {"a.py": b"x = 1\n"},
    hidden_tests={"test_a.py": b"def test_x(): pass\n"},
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_no_grader_raises_on_arbitrary_output(data: bytes) -> None:
    for grader in all_graders().values():
        for spec in grader.steps(_INP):
            files = dict.fromkeys(spec.files_out, data)
            execution = Execution(1, data, data, 1.0, files_out=files)
            result = grader.grade(_INP, {spec.label: execution})
            assert 0.0 <= result.score <= 100.0


@settings(max_examples=60, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=8), children, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_no_grader_raises_on_arbitrary_json(value: object) -> None:
    data = json.dumps(value).encode()
    for grader in all_graders().values():
        executions = {
            spec.label: Execution(0, b"", b"", 1.0, files_out=dict.fromkeys(spec.files_out, data))
            for spec in grader.steps(_INP)
        }
        assert 0.0 <= grader.grade(_INP, executions).score <= 100.0
