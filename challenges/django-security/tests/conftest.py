"""Shared accounts for the probes: made once per run through the app's own sign-up."""

import pytest
from webclient import Client, new_user


@pytest.fixture(scope="session")
def alice() -> Client:
    return new_user("alice")


@pytest.fixture(scope="session")
def bob() -> Client:
    return new_user("bob")
