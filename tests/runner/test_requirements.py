"""Declared candidate dependencies outside the challenge's allowed set become a verdict."""

from __future__ import annotations

from runner.requirements import declared_requirements, undeclared_verdicts


def test_requirements_files_and_pyproject_are_read() -> None:
    sources = {
        "requirements.txt": b"Django==5.1  # web\n-r other.txt\n--index-url https://x\n\nrequests>=2\n",
        "pyproject.toml": b'[project]\nname = "x"\n'
        b'dependencies = ["pandas[performance]>=2", "Py_YAML"]\n',
    }
    assert declared_requirements(sources) == {"django", "requests", "pandas", "py-yaml"}


def test_allowed_and_tool_packages_raise_nothing() -> None:
    sources = {"requirements.txt": b"django==5.1.4\npytest\ncoverage\n"}
    assert undeclared_verdicts(sources, ["Django==5.1.4"]) == []


def test_each_missing_requirement_is_named() -> None:
    sources = {"requirements.txt": b"numpy\nrequests==2.32\n"}
    (verdict,) = undeclared_verdicts(sources, ["pandas==2.2.3"])
    assert verdict.kind.value == "dependency_not_allowed"
    assert "numpy, requests" in verdict.detail
    assert "allows: pandas" in verdict.detail


def test_garbage_does_not_raise() -> None:
    sources = {"pyproject.toml": b"[project\n", "requirements.txt": b"\xff\xfe\x00"}
    assert undeclared_verdicts(sources, []) == []  # unreadable files declare nothing
    assert declared_requirements({"pyproject.toml": b'project = "x"'}) == set()
