"""docs/settings.md is generated from `Settings`: it must be current and name every field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner import settings_doc
from runner.settings import Settings
from runner.settings_doc import MissingDocstring, field_docstrings, settings_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_page_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run `python -m runner.settings_doc > docs/settings.md`"
    )


def test_every_field_is_on_the_page_with_its_docstring() -> None:
    page = PAGE.read_text(encoding="utf-8")
    docs = field_docstrings()
    assert set(docs) == set(Settings.model_fields)
    for name in Settings.model_fields:
        start = f"| `TAKEHOME_{name.upper()}` |"
        row = next(line for line in page.splitlines() if line.startswith(start))
        assert docs[name].replace("|", "\\|") in row


def test_the_groups_name_only_existing_fields() -> None:
    named = [name for _, names in settings_doc._GROUPS for name in names]
    assert len(named) == len(set(named))
    assert set(named) <= set(Settings.model_fields)


def test_the_page_does_not_depend_on_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    page = settings_markdown()
    assert str(Path.home()) not in page
    assert str(Path(__file__).resolve().parents[2]) not in page
    monkeypatch.setattr(os, "cpu_count", lambda: 977)
    assert "977" not in settings_markdown()


def test_a_field_without_docstring_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = field_docstrings()
    del docs["port"]
    monkeypatch.setattr(settings_doc, "field_docstrings", lambda: docs)
    with pytest.raises(MissingDocstring, match="port"):
        settings_markdown()


def test_defaults_and_types_are_rendered() -> None:
    page = settings_markdown()
    assert "| `TAKEHOME_PORT` | integer, >= 1 and <= 65535 | 8000 |" in page
    assert "| `TAKEHOME_MAX_UPLOAD_BYTES` | integer, > 0 | 20 MiB |" in page
    assert "| `TAKEHOME_QUEUE` | `embedded` or `celery` | `embedded` |" in page
    assert "| `TAKEHOME_BASE_IMAGE` | string (optional) | none |" in page
