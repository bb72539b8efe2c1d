"""Each value has one home: the categories, the default weights and the grading tools' pins.

The copies that cannot import their home (pyproject.toml's host pins, the challenge manifest's
`[weights]` fields) are held equal to it here, so a pin bumped without its twin fails a test.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import graders
from graders.base import GradingInput
from graders.model import CATEGORIES
from graders.scoring import DEFAULT_WEIGHTS
from runner._manifest import CATEGORIES as MANIFEST_CATEGORIES
from runner._manifest import Manifest, VariantManifest, Weights
from runner.challenge import CATEGORIES as CHALLENGE_CATEGORIES
from sandbox import images, pins
from sandbox.pins import TOOL_PINS, TOOL_VERSIONS, tool_label

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,]+)$")


def _host_pins() -> dict[str, str]:
    """pyproject.toml's `project.dependencies` pinned with `==`, name to version."""
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return {m[1].lower(): m[2] for d in deps if (m := _PIN.match(d.strip()))}


def test_pyproject_pins_the_host_tools_to_the_table() -> None:
    # Every `==` pin of the project is a grading tool, and every grading tool is pinned so.
    assert _host_pins() == dict(TOOL_VERSIONS)


def test_the_host_has_the_pinned_tools_installed() -> None:
    installed = {name: metadata.version(name) for name in TOOL_VERSIONS}
    assert installed == dict(TOOL_VERSIONS)


def test_pins_are_the_table_as_specifiers() -> None:
    assert tuple(f"{n}=={v}" for n, v in TOOL_VERSIONS.items()) == TOOL_PINS
    assert images.TOOL_PINS is pins.TOOL_PINS  # what the tools image installs and hashes
    with pytest.raises(TypeError):
        TOOL_VERSIONS["ruff"] = "0.0.0"  # type: ignore[index]


def test_tool_label_is_name_and_version() -> None:
    assert tool_label("ruff") == f"ruff {TOOL_VERSIONS['ruff']}"
    with pytest.raises(KeyError):
        tool_label("pylint")


_INPUT = GradingInput("run-values", "img", {"mod.py": b"x = 1\n"})


@pytest.mark.parametrize("category", CATEGORIES)
def test_provenance_names_a_pinned_version(category: str) -> None:
    # With no tool output at all (a run that produced nothing), each built-in grader still says
    # which tool and version it stands for, and it is the pinned one.
    result = graders.get(category).grade(_INPUT, {})
    assert result.tool in {tool_label(name) for name in TOOL_VERSIONS}


def test_every_pinned_tool_is_some_graders_provenance() -> None:
    tools = {graders.get(category).grade(_INPUT, {}).tool for category in CATEGORIES}
    assert tools == {tool_label(name) for name in TOOL_VERSIONS}


def test_categories_have_one_home() -> None:
    assert MANIFEST_CATEGORIES is CATEGORIES
    assert CHALLENGE_CATEGORIES is CATEGORIES
    # The built-in graders register in category order: one grader per category.
    assert tuple(graders.all_graders())[: len(CATEGORIES)] == CATEGORIES


def test_default_weights_cover_the_categories_in_order() -> None:
    assert tuple(DEFAULT_WEIGHTS) == CATEGORIES
    assert all(w > 0 for w in DEFAULT_WEIGHTS.values())


def test_manifest_weights_are_the_categories_with_the_default_weights() -> None:
    # `rubric` weighs the reviewers' rubric score in a separate figure, never in the automated
    # score (docs/reviewing.md): every other field is a category.
    assert tuple(Weights.model_fields) == (*CATEGORIES, "rubric")
    assert Weights().as_dict() == dict(DEFAULT_WEIGHTS)
    manifest = Manifest.model_validate(
        {"id": "abc", "title": "T", "version": "1", "framework": "none", "mode": "unit"}
    )
    assert manifest.weights.as_dict() == dict(DEFAULT_WEIGHTS)
    # One weight set: the others keep the graders' defaults.
    assert Weights(style=0).as_dict() == {**DEFAULT_WEIGHTS, "style": 0.0}


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_variant_may_name_each_category(category: str) -> None:
    variant = VariantManifest.model_validate({"category": category})
    assert variant.category == category


def test_a_variant_may_not_name_another_category() -> None:
    with pytest.raises(ValueError, match="category"):
        VariantManifest.model_validate({"category": "speed"})
