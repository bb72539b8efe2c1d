"""Functional probes: the app's features still work (a "fix" that removes one loses it here)."""

import re
import urllib.parse

from webclient import Client, new_user, staff_client, unique


def test_signup_login_logout():
    carol = new_user("carol")
    home = carol.get("/notes/")
    assert home.status == 200 and carol.username in home.body
    assert carol.post("/accounts/logout/").status in (302, 303)
    assert carol.get("/notes/").status in (302, 303, 403)
    assert carol.login().status in (302, 303)
    assert carol.get("/notes/").status == 200


def test_wrong_password_is_refused():
    carol = new_user("carol")
    stranger = Client(username=carol.username, password="not-the-password")
    response = stranger.login()
    assert response.status == 200  # the form again, with an error
    assert stranger.get("/notes/").status in (302, 303, 403)


def test_notes_create_edit_and_filter_by_tag(alice: Client):
    tag = unique("tag")
    title = unique("groceries-")
    pk = alice.create_note(title, "milk\neggs", tags=f"home, {tag}")
    other = alice.create_note(unique("other-"), "x", tags="work")
    detail = alice.get(f"/notes/{pk}/")
    assert detail.status == 200 and title in detail.body
    assert title in alice.get("/notes/").body
    new_title = unique("shopping-")
    fields = {"title": new_title, "body": "milk", "tags": f"home, {tag}"}
    edited = alice.post(f"/notes/{pk}/edit/", fields, token_page=f"/notes/{pk}/edit/")
    assert edited.status in (302, 303)
    assert new_title in alice.get(f"/notes/{pk}/").body
    filtered = alice.get("/notes/", tag=tag)
    assert filtered.status == 200 and new_title in filtered.body
    assert f"/notes/{other}/" not in filtered.body


def test_search_finds_own_notes(alice: Client, bob: Client):
    word = unique("zebra")
    mine = alice.create_note(f"Trip {word}", "pack the tent")
    by_body = alice.create_note(unique("Plans-"), f"remember the {word} crossing")
    theirs = bob.create_note(f"Bob {word}", "not alice's")
    found = alice.get("/notes/search/", q=word)
    assert found.status == 200
    assert f"/notes/{mine}/" in found.body and f"/notes/{by_body}/" in found.body
    assert f"/notes/{theirs}/" not in found.body


def test_note_body_keeps_line_breaks(alice: Client):
    pk = alice.create_note(unique("poem-"), "line one\nline two")
    assert re.search(r"line one<br\s*/?>\s*line two", alice.get(f"/notes/{pk}/").body)


def test_public_notes_and_comments(alice: Client, bob: Client):
    title = unique("bob-public-")
    pk = bob.create_note(title, "comments welcome", public=True)
    assert title in alice.get("/notes/").body  # listed among others' public notes
    assert alice.get(f"/notes/{pk}/").status == 200
    comment = unique("Nice note ")
    posted = alice.post(f"/notes/{pk}/comments/", {"body": comment}, token_page=f"/notes/{pk}/")
    assert posted.status in (302, 303)
    page = bob.get(f"/notes/{pk}/").body
    assert comment in page and alice.username in page


def test_owner_reads_private_note(bob: Client):
    secret = unique("bob-diary-")
    pk = bob.create_note(secret, "dear diary")
    page = bob.get(f"/notes/{pk}/")
    assert page.status == 200 and secret in page.body and "dear diary" in page.body


def test_delete_note(alice: Client):
    pk = alice.create_note(unique("to-delete-"))
    deleted = alice.post(f"/notes/{pk}/delete/", token_page=f"/notes/{pk}/")
    assert deleted.status in (302, 303)
    assert alice.get(f"/notes/{pk}/").status == 404


def test_attachments_upload_and_download(alice: Client):
    pk = alice.create_note(unique("with-file-"))
    content = ("report " + unique("data-")).encode()
    uploaded = alice.upload(f"/notes/{pk}/attachments/", "report.txt", content, f"/notes/{pk}/")
    assert uploaded.status in (302, 303)
    page = alice.get(f"/notes/{pk}/").body
    assert "report.txt" in page
    links = [html_unescape(h) for h in re.findall(r'href="([^"]*download[^"]*)"', page)]
    assert links, "no download link on the note's page"
    downloaded = alice.get(links[0])
    assert downloaded.status == 200 and downloaded.raw == content


def test_share_link(bob: Client):
    title = unique("bob-shared-")
    pk = bob.create_note(title, "for your eyes")
    shared = bob.post(f"/notes/{pk}/share/", token_page=f"/notes/{pk}/")
    assert shared.status == 200
    link = share_path(shared.body)
    anonymous = Client()
    opened = anonymous.get(link)
    assert opened.status == 200 and title in opened.body and "for your eyes" in opened.body
    assert anonymous.get(link[:-3] + "xyz/").status == 404  # a tampered link


def test_profile_update(alice: Client):
    name = unique("Alice A ")
    fields = {"display_name": name, "bio": "I write notes.", "role": "member"}
    saved = alice.post("/accounts/profile/", fields, token_page="/accounts/profile/")
    assert saved.status in (302, 303)
    page = alice.get("/accounts/profile/")
    assert page.status == 200 and name in page.body


def test_staff_directory(alice: Client, bob: Client):
    staff = staff_client()
    page = staff.get("/staff/")
    assert page.status == 200
    assert alice.username in page.body and bob.username in page.body


def html_unescape(text: str) -> str:
    return text.replace("&amp;", "&")


def share_path(html: str) -> str:
    found = re.search(r"(/notes/shared/[^\"'<\s]+)", html)
    assert found, "no share link on the page"
    return urllib.parse.urlsplit(html_unescape(found.group(1))).path
