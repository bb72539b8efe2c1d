"""Migrate the schema as soon as the database answers: the app starts before its database."""

import threading
import time

from django.core.management import call_command
from django.db import OperationalError, connection

_ready = threading.Event()


def is_ready():
    """Whether the schema is migrated."""
    return _ready.is_set()


def migrate_when_ready(pause=0.5, attempts=None):
    """Run `migrate` until it succeeds (`attempts` tries at most, None: forever)."""
    tried = 0
    while attempts is None or tried < attempts:
        tried += 1
        try:
            call_command("migrate", interactive=False, verbosity=0)
        except OperationalError:
            time.sleep(pause)
            continue
        finally:
            connection.close()
        _ready.set()
        return True
    return False
