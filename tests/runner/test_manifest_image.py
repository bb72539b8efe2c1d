"""`[image] debian`: Debian packages for a challenge's own image base."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner._manifest import ImageSpec, Manifest, parse_manifest
from runner.challenge import ManifestError

BASE = b"""\
id = "dbpack"
title = "A pack with a database"
version = "1.0.0"
framework = "django"
mode = "unit"
"""


def _parse(extra: bytes) -> Manifest:
    return parse_manifest(Path("challenge.toml"), BASE + extra, Manifest)


def test_no_image_section_means_no_debian_packages() -> None:
    assert _parse(b"").image == ImageSpec()
    assert _parse(b"").image.debian == ()


def test_debian_packages_are_read_in_order() -> None:
    manifest = _parse(b'[image]\ndebian = ["postgresql", "libpq5"]\n')
    assert manifest.image.debian == ("postgresql", "libpq5")


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (b'[image]\ndebian = ["PostgreSQL"]\n', "image.debian[0]", "match"),
        (b'[image]\ndebian = ["pg; rm -rf /"]\n', "image.debian[0]", "match"),
        (b'[image]\ndebian = ["--allow-unauthenticated"]\n', "image.debian[0]", "match"),
        (b'[image]\ndebian = ["ok", "x,y"]\n', "image.debian[1]", "match"),
        (b'[image]\ndebian = ["git", "git"]\n', "image.debian", "more than once"),
        (b'[image]\ndebian = "postgresql"\n', "image.debian", ""),
        (b'[image]\nubuntu = ["x"]\n', "image.ubuntu", "Extra inputs"),
    ],
)
def test_a_bad_package_list_names_its_field(extra: bytes, field: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        _parse(extra)
    assert caught.value.field.startswith(field), str(caught.value)
    assert message in caught.value.message


def test_too_many_packages_are_refused() -> None:
    names = ", ".join(f'"pkg{i}"' for i in range(21))
    with pytest.raises(ManifestError, match=r"image\.debian"):
        _parse(f"[image]\ndebian = [{names}]\n".encode())
