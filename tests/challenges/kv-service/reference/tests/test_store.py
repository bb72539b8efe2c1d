from kv.store import Store, valid_key


def test_put_get():
    store = Store()
    store.put("a", b"1")
    assert store.get("a") == b"1"
    assert store.get("b") is None


def test_keys():
    assert valid_key("abc-1")
    assert not valid_key("")
    assert not valid_key("A")
    assert not valid_key("x" * 65)
