"""Regression tests for the security problems found in the original code."""

import os
import shutil
import tempfile
from unittest import mock

from django.conf import global_settings, settings
from django.contrib.auth.models import User
from django.test import Client, TestCase

import notebook.settings as project_settings
from notebook.keys import load_secret_key
from notes.models import Comment, Note, get_profile

PASSWORD = "correct-horse-battery"
STARTER_KEY = "django-insecure-n0tebook-2f9c1e8a7b-shipping-it-friday-4d1f0c"


class SecurityTestCase(TestCase):
    def setUp(self):
        self.alice = User.objects.create_user("alice", "alice@example.com", PASSWORD)
        self.bob = User.objects.create_user("bob", "bob@example.com", PASSWORD)
        self.client.force_login(self.alice)


class InjectionTests(SecurityTestCase):
    def test_tag_filter_is_not_injectable(self):
        Note.objects.create(owner=self.bob, title="bob secret", tags="x")
        for payload in ("') OR 1=1 OR ('", "x' OR '1'='1"):
            self.assertNotContains(self.client.get("/notes/", {"tag": payload}), "bob secret")


class XssTests(SecurityTestCase):
    def test_note_body_is_escaped(self):
        note = Note.objects.create(owner=self.alice, title="t", body="<script>alert(1)</script>")
        response = self.client.get(f"/notes/{note.pk}/")
        self.assertNotContains(response, "<script>alert(1)")
        self.assertContains(response, "&lt;script&gt;alert(1)")

    def test_comment_is_escaped(self):
        note = Note.objects.create(owner=self.alice, title="t")
        Comment.objects.create(note=note, author=self.bob, body="<img src=x onerror=alert(1)>")
        response = self.client.get(f"/notes/{note.pk}/")
        self.assertNotContains(response, "<img src=x")
        self.assertContains(response, "&lt;img src=x")


class AccessTests(SecurityTestCase):
    def test_private_note_of_another_user_is_404(self):
        note = Note.objects.create(owner=self.bob, title="bob private")
        self.assertEqual(self.client.get(f"/notes/{note.pk}/").status_code, 404)

    def test_cannot_edit_delete_or_share_others_notes(self):
        note = Note.objects.create(owner=self.bob, title="bob public", is_public=True)
        self.assertEqual(self.client.get(f"/notes/{note.pk}/edit/").status_code, 404)
        self.assertEqual(self.client.post(f"/notes/{note.pk}/delete/").status_code, 404)
        self.assertEqual(self.client.post(f"/notes/{note.pk}/share/").status_code, 404)

    def test_cannot_comment_on_private_note(self):
        note = Note.objects.create(owner=self.bob, title="bob private")
        response = self.client.post(f"/notes/{note.pk}/comments/", {"body": "hi"})
        self.assertEqual(response.status_code, 404)

    def test_profile_form_ignores_role(self):
        self.client.post("/accounts/profile/", {"display_name": "A", "bio": "", "role": "staff"})
        self.assertEqual(get_profile(self.alice).role, "member")
        self.assertEqual(self.client.get("/staff/").status_code, 403)


class CsrfTests(SecurityTestCase):
    def test_delete_without_token_is_refused(self):
        note = Note.objects.create(owner=self.alice, title="keep")
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        self.assertEqual(client.post(f"/notes/{note.pk}/delete/").status_code, 403)
        self.assertTrue(Note.objects.filter(pk=note.pk).exists())


class RedirectTests(SecurityTestCase):
    def test_login_does_not_redirect_off_site(self):
        self.client.logout()
        for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
            response = self.client.post(
                "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": target}
            )
            self.assertRedirects(response, "/notes/", fetch_redirect_response=False)


class SettingsTests(SecurityTestCase):
    def test_secret_key_is_not_the_published_one(self):
        self.assertNotEqual(settings.SECRET_KEY, STARTER_KEY)

    def test_passwords_use_a_slow_hash(self):
        # The tests swap in a fast hasher (conftest.py); the project keeps Django's defaults.
        self.assertFalse(hasattr(project_settings, "PASSWORD_HASHERS"))
        self.assertIn("PBKDF2", global_settings.PASSWORD_HASHERS[0])

    def test_debug_is_off_by_default(self):
        self.assertFalse(project_settings.DEBUG)
        self.assertNotIn("*", project_settings.ALLOWED_HOSTS)

    def test_cookie_and_header_settings(self):
        self.assertTrue(settings.SESSION_COOKIE_HTTPONLY)
        self.assertEqual(settings.SESSION_COOKIE_SAMESITE, "Lax")
        response = self.client.get("/accounts/login/")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["Referrer-Policy"], "same-origin")


class SecretKeyTests(TestCase):
    def test_key_from_environment(self):
        with mock.patch.dict(os.environ, {"DJANGO_SECRET_KEY": "from-env"}):
            self.assertEqual(load_secret_key("/nonexistent"), "from-env")

    def test_key_generated_once_per_data_dir(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        with mock.patch.dict(os.environ, {"DJANGO_SECRET_KEY": ""}):
            first = load_secret_key(os.path.join(folder, "data"))
            self.assertGreaterEqual(len(first), 50)
            self.assertEqual(load_secret_key(os.path.join(folder, "data")), first)
            mode = os.stat(os.path.join(folder, "data", "secret_key")).st_mode
            self.assertEqual(mode & 0o777, 0o600)

    def test_concurrent_creation_keeps_the_first_key(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        with open(os.path.join(folder, "secret_key"), "w", encoding="ascii") as handle:
            handle.write("already-there")
        with mock.patch.dict(os.environ, {"DJANGO_SECRET_KEY": ""}):
            with mock.patch("notebook.keys.Path.exists", return_value=False):
                self.assertEqual(load_secret_key(folder), "already-there")
