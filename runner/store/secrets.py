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

from runner.settings import Settings

__all__ = [
    "UnsafeSettings",
    "check_secrets",
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


_DEFAULT_SECRETS = frozenset({"", "changethis", "changeme", "secret"})


class UnsafeSettings(ValueError):
    """The settings would run the service insecurely (e.g. without a secret key)."""


def check_secrets(settings: Settings) -> Settings:
    """Refuse a default or short secret key unless `dev_mode`; in dev mode, make one up.

    (As full-stack-fastapi-template's `_enforce_non_default_secrets`.)"""
    if settings.secret_key not in _DEFAULT_SECRETS and len(settings.secret_key) >= 16:
        return settings
    if not settings.dev_mode:
        raise UnsafeSettings(
            "TAKEHOME_SECRET_KEY is empty, a default, or shorter than 16 characters: set one"
            " (python -c 'import secrets; print(secrets.token_urlsafe(32))'),"
            " or TAKEHOME_DEV_MODE=1 for a throw-away key"
        )
    return settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
