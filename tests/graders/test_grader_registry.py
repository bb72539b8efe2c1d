"""The grader registry and the public surface of the package."""

from __future__ import annotations

import importlib

import pytest

import graders
from graders import registry
from graders.registry import DuplicateGrader, UnknownGrader
from graders.style import StyleGrader


def test_built_ins_in_report_order() -> None:
    assert list(registry.all_graders()) == ["tests", "coverage", "style", "complexity", "security"]
    assert isinstance(registry.get("style"), StyleGrader)


def test_unknown_name_raises_a_named_lookup_error() -> None:
    with pytest.raises(UnknownGrader, match=r"no grader named 'lint' \(known: complexity, "):
        registry.get("lint")
    assert issubclass(UnknownGrader, LookupError)


def test_register_refuses_a_taken_name() -> None:
    with pytest.raises(DuplicateGrader):
        registry.register(StyleGrader())


def test_register_and_all_graders_is_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_GRADERS", dict(registry.all_graders()))

    class Extra(StyleGrader):
        name = "extra"

    registry.register(Extra())
    assert registry.get("extra").name == "extra"
    registry.all_graders().clear()
    assert "extra" in registry.all_graders()


@pytest.mark.parametrize(
    "module",
    [
        *("graders", "graders.tests", "graders.coverage", "graders.style", "graders.complexity"),
        *("graders.security", "graders.registry", "graders.scoring", "graders._steps"),
    ],
)
def test_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(set(mod.__all__))
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_package_exports() -> None:
    assert graders.get("tests").name == "tests"
    assert graders.DEFAULT_WEIGHTS["tests"] == 50.0
