"""serve.py, manage.py and the WSGI module."""

from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import TestCase

import manage
import serve
from notes.models import get_profile


class ServeTests(TestCase):
    def test_parse_args(self):
        self.assertEqual(
            serve.parse_args(["--staff", "a:b", "--staff", "c:d"]).staff, ["a:b", "c:d"]
        )
        self.assertEqual(serve.parse_args([]).staff, [])

    def test_ensure_staff_creates_and_updates(self):
        user = serve.ensure_staff("root:first-password")
        self.assertTrue(user.check_password("first-password"))
        self.assertEqual(get_profile(user).role, "staff")
        serve.ensure_staff("root:second-password")
        self.assertTrue(User.objects.get(username="root").check_password("second-password"))

    def test_ensure_staff_needs_name_and_password(self):
        for spec in ("root", "root:", ":pw"):
            with pytest.raises(SystemExit):
                serve.ensure_staff(spec)

    def test_main_prepares_then_serves(self):
        with mock.patch("django.core.servers.basehttp.run") as run:
            serve.main(["--staff", "ops:ops-password-1"])
        host, port, _app = run.call_args.args
        self.assertEqual(host, "127.0.0.1")
        self.assertIsInstance(port, int)
        self.assertTrue(User.objects.filter(username="ops").exists())


def test_manage_runs_a_command(capsys):
    manage.main(["manage.py", "check"])
    assert "no issues" in capsys.readouterr().out


def test_wsgi_application():
    from notebook.wsgi import application

    assert callable(application)
