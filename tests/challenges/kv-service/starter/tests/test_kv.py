import kv


def test_package_imports():
    assert kv.__doc__
