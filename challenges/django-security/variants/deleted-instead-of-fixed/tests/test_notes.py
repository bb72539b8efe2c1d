"""Features: accounts, notes, comments; search, attachments, share links and staff are gone."""

from django.contrib.auth.models import User
from django.test import TestCase

from notes.models import Comment, Note, get_profile

PASSWORD = "correct-horse-battery"


class NotesTestCase(TestCase):
    def setUp(self):
        self.alice = User.objects.create_user("alice", "alice@example.com", PASSWORD)
        self.bob = User.objects.create_user("bob", "bob@example.com", PASSWORD)
        self.client.force_login(self.alice)


class AccountTests(NotesTestCase):
    def test_healthz(self):
        self.assertEqual(self.client.get("/healthz").content, b"ok")

    def test_root_redirects_to_notes(self):
        self.assertRedirects(self.client.get("/"), "/notes/")

    def test_signup_logs_in(self):
        self.client.logout()
        self.assertEqual(self.client.get("/accounts/signup/").status_code, 200)
        secret = "a-long-passphrase-42"
        response = self.client.post(
            "/accounts/signup/",
            {"username": "carol", "password1": secret, "password2": secret},
        )
        self.assertRedirects(response, "/notes/")
        self.assertEqual(get_profile(User.objects.get(username="carol")).role, "member")

    def test_signup_refuses_weak_password(self):
        self.client.logout()
        response = self.client.post(
            "/accounts/signup/", {"username": "dave", "password1": "123", "password2": "123"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(User.objects.filter(username="dave").exists())

    def test_login_and_logout(self):
        self.client.logout()
        self.assertEqual(self.client.get("/accounts/login/").status_code, 200)
        response = self.client.post(
            "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/notes/new/"}
        )
        self.assertRedirects(response, "/notes/new/")
        self.assertRedirects(self.client.post("/accounts/logout/"), "/accounts/login/")
        self.assertRedirects(self.client.get("/notes/"), "/accounts/login/?next=/notes/")

    def test_wrong_password(self):
        self.client.logout()
        response = self.client.post("/accounts/login/", {"username": "alice", "password": "x"})
        self.assertEqual(response.status_code, 200)

    def test_profile_update(self):
        response = self.client.post("/accounts/profile/", {"display_name": "Al", "bio": "hi"})
        self.assertRedirects(response, "/accounts/profile/")
        self.assertContains(self.client.get("/accounts/profile/"), "Al")
        self.assertEqual(str(get_profile(self.alice)), "Al")


class NoteTests(NotesTestCase):
    def test_create_edit_and_list(self):
        self.assertEqual(self.client.get("/notes/new/").status_code, 200)
        response = self.client.post(
            "/notes/new/", {"title": "Groceries", "body": "milk", "tags": "home, food"}
        )
        note = Note.objects.get(title="Groceries")
        self.assertRedirects(response, f"/notes/{note.pk}/")
        self.assertEqual(note.tag_list(), ["home", "food"])
        self.assertEqual(str(note), "Groceries")
        self.assertEqual(self.client.get(f"/notes/{note.pk}/edit/").status_code, 200)
        self.client.post(f"/notes/{note.pk}/edit/", {"title": "Shopping", "body": "eggs"})
        self.assertContains(self.client.get("/notes/"), "Shopping")

    def test_tag_filter(self):
        Note.objects.create(owner=self.alice, title="Tagged", tags="work")
        Note.objects.create(owner=self.alice, title="Untagged", tags="home")
        response = self.client.get("/notes/", {"tag": "work"})
        self.assertContains(response, "Tagged")
        self.assertNotContains(response, "Untagged")

    def test_public_notes_and_comments(self):
        note = Note.objects.create(owner=self.bob, title="Bob public", is_public=True)
        self.assertContains(self.client.get("/notes/"), "Bob public")
        response = self.client.post(f"/notes/{note.pk}/comments/", {"body": "line 1\nline 2"})
        self.assertRedirects(response, f"/notes/{note.pk}/")
        self.assertContains(self.client.get(f"/notes/{note.pk}/"), "line 1<br>line 2")
        self.assertEqual(str(Comment.objects.get()), "alice on Bob public")
        self.client.post(f"/notes/{note.pk}/comments/", {"body": ""})
        self.assertEqual(Comment.objects.count(), 1)

    def test_body_keeps_line_breaks(self):
        note = Note.objects.create(owner=self.alice, title="Poem", body="one\ntwo")
        self.assertContains(self.client.get(f"/notes/{note.pk}/"), "one<br>two")

    def test_delete(self):
        note = Note.objects.create(owner=self.alice, title="Old")
        self.assertRedirects(self.client.post(f"/notes/{note.pk}/delete/"), "/notes/")
        self.assertFalse(Note.objects.filter(pk=note.pk).exists())


class StaffTests(NotesTestCase):
    def test_member_is_refused(self):
        self.assertEqual(self.client.get("/staff/").status_code, 403)
