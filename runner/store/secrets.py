"""Secrets at rest: argon2 password hashes and sha256 digests of random tokens.

Tokens (invite links, API tokens) are 256-bit random strings shown once; only their sha256 is
stored, so a leaked database does not leak a working link. sha256 is enough for them (unlike for
passwords): they are random, not chosen by people, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "hash_password",
    "new_token",
    "token_digest",
    "verify_password",
]

_HASHER = PasswordHasher()
# Verified when an email is unknown, so a login takes as long for a stranger as for a reviewer.
_DUMMY_HASH = _HASHER.hash("takehome-no-such-user")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; `None` (unknown user) costs the same and answers False."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh URL-safe token with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its sha256 in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
