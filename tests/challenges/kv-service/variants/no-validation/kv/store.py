"""The in-memory store and its key rules."""

import re
import threading

KEY = re.compile(r"[a-z0-9-]{1,64}")
MAX_BODY = 1024 * 1024


class Store:
    """A thread-safe dict of bytes."""

    def __init__(self):
        self._items = {}
        self._lock = threading.Lock()

    def put(self, key, value):
        """Store `value` under `key`."""
        with self._lock:
            self._items[key] = value

    def get(self, key):
        """The value under `key`, or None."""
        with self._lock:
            return self._items.get(key)


def valid_key(key):
    """Whether `key` follows the key rules."""
    return bool(key)
