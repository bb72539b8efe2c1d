"""pytest set-up: Django with a throw-away database under /tmp."""

import os
import tempfile

import django
from django.core.management import call_command


def pytest_configure():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notebook.settings")
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="notebook-tests-")
    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    # A fast hasher for the tests only: creating users is most of their run time otherwise.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()
    call_command("migrate", verbosity=0)
