"""Run-level records: the data seed goes into the JUnit file before any call is made."""

import pytest

import _data


@pytest.fixture(scope="session", autouse=True)
def _record_data_seed(record_testsuite_property):
    """`data_seed` as a property of the test suite: recorded even if every call fails."""
    record_testsuite_property("data_seed", _data.run_seed())
