"""The README and the pages under docs/: short enough, and every relative link resolves.

A link's `#fragment` must name a heading of the linked page (GitHub's heading ids)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")])
# [text](target) and [text](target "title"); images too. Targets with a scheme are not checked.
_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def _anchors(page: Path) -> set[str]:
    """The fragment ids GitHub gives the page's headings (lower case, punctuation dropped)."""
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in _HEADING.findall(text)}


def _links(page: Path) -> list[str]:
    text = _CODE.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    return _LINK.findall(text)


def test_the_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/"


def test_there_are_topic_pages() -> None:
    names = {page.name for page in (ROOT / "docs").glob("*.md")}
    assert {"settings.md", "design.md", "development.md", "security.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        if _SCHEME.match(target):
            continue
        path, _, fragment = target.partition("#")
        linked = page.parent / path if path else page
        if not linked.exists() or (
            fragment and linked.suffix == ".md" and fragment not in _anchors(linked)
        ):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to missing files or headings: {broken}"


def test_the_link_pattern_finds_links(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        '[a](docs/x.md) [b](y.md#part "t") [c](https://e.org) `[d](code.md)`\n'
        "```\n[e](fenced.md)\n```\n",
        encoding="utf-8",
    )
    assert _links(page) == ["docs/x.md", "y.md#part", "https://e.org"]


def test_anchors_follow_github_heading_ids(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# Security of the worker: the Docker socket\n## The suite (`tests/x/`)\n")
    assert _anchors(page) == {"security-of-the-worker-the-docker-socket", "the-suite-testsx"}
