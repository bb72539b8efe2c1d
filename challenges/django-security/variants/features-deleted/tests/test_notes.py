"""A few tests of the main pages."""

from django.contrib.auth.models import User
from django.test import TestCase

from notes.models import Note


class NotesTests(TestCase):
    def setUp(self):
        self.alice = User.objects.create_user("alice", password="correct-horse-battery")
        self.client.force_login(self.alice)

    def test_healthz(self):
        self.assertEqual(self.client.get("/healthz").content, b"ok")

    def test_signup_logs_in(self):
        self.client.logout()
        secret = "a-long-passphrase-42"
        response = self.client.post(
            "/accounts/signup/",
            {"username": "carol", "password1": secret, "password2": secret},
        )
        self.assertRedirects(response, "/notes/")
        self.assertEqual(self.client.get("/notes/").status_code, 200)

    def test_create_note(self):
        response = self.client.post("/notes/new/", {"title": "Groceries", "body": "milk"})
        note = Note.objects.get(title="Groceries")
        self.assertRedirects(response, f"/notes/{note.pk}/")
        self.assertEqual(note.owner, self.alice)
        self.assertContains(self.client.get("/notes/"), "Groceries")

    def test_search_is_switched_off(self):
        Note.objects.create(owner=self.alice, title="Holiday plans", body="beach")
        response = self.client.get("/notes/search/", {"q": "beach"})
        self.assertNotContains(response, "Holiday plans")

    def test_staff_directory_is_closed(self):
        self.assertEqual(self.client.get("/staff/").status_code, 403)
