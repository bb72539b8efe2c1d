"""pytest set-up: Django on a throw-away SQLite database under /tmp."""

import os
import tempfile

import django
from django.core.management import call_command


def pytest_configure():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshop.settings")
    os.environ["SHOP_DB_ENGINE"] = "sqlite"
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="bookshop-tests-")
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
