"""Zip archives built by hand for the intake tests, hostile members included."""

from __future__ import annotations

import io
import warnings
import zipfile

__all__ = ["make_zip", "zip_info"]


def make_zip(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    """A deflated zip of `entries` (names or `ZipInfo`s, with their data), duplicates allowed."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates we write on purpose
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


def zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    """A member `name` carrying the Unix `mode` (file type and permission bits)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    info.external_attr = mode << 16
    return info
