"""Exploit probes: each one attacks one security hole and passes only when the attack fails.

A probe passes only when the attack is refused **and** the legitimate use of the feature it
attacks still succeeds, checked in the same probe with a real assertion (the own note is found,
the attachment's bytes come back, the staff see the directory, a genuine share link opens...).
Removing or crippling a feature (an always-empty search, an always-403 page) closes its hole
only in appearance: the brief says it is not a fix, so it fails the feature's probe here as
well as its functional probe in `test_features.py`.
"""

import re
import urllib.parse

from webclient import Client, new_user, staff_client, unique

#: The SECRET_KEY hard-coded in the starter's settings, as an attacker reading the repo sees it.
LEAKED_SECRET_KEY = "django-insecure-n0tebook-2f9c1e8a7b-shipping-it-friday-4d1f0c"
SHARE_SALT = "notes.share"


def test_search_sql_injection(alice: Client, bob: Client):
    secret = unique("bob-search-secret-")
    bob.create_note(secret, "bob only")
    word = unique("findme")
    mine = alice.create_note(f"alice's {word}", "")
    other = alice.create_note(unique("unrelated-"), "")
    # The legitimate use: a normal query finds the own note and not an own note that does not
    # match; so does a query with an apostrophe, which a blocklist of quote characters refuses.
    found = alice.get("/notes/search/", q=word)
    assert found.status == 200 and f"/notes/{mine}/" in found.body, "search lost the own note"
    assert f"/notes/{other}/" not in found.body, "search lists notes that do not match"
    quoted = alice.get("/notes/search/", q=f"alice's {word}")
    assert quoted.status == 200 and f"/notes/{mine}/" in quoted.body, "a query with a quote"
    for payload in ("zz') OR 1=1 --", "zz' OR '1'='1", "%') OR 1=1 OR ('", "' OR 1=1 --"):
        response = alice.get("/notes/search/", q=payload)
        assert secret not in response.body, f"search {payload!r} showed another user's note"


def test_tag_filter_sql_injection(alice: Client, bob: Client):
    secret = unique("bob-tagged-secret-")
    bob.create_note(secret, "bob only", tags="private")
    tag = unique("t")
    mine = alice.create_note(unique("alice-tagged-"), "", tags=f"x, {tag}")
    untagged = alice.create_note(unique("alice-untagged-"), "", tags="y")
    filtered = alice.get("/notes/", tag=tag)
    assert filtered.status == 200 and f"/notes/{mine}/" in filtered.body, "the filter lost it"
    assert f"/notes/{untagged}/" not in filtered.body, "the tag filter does not filter any more"
    for payload in ("') OR 1=1 OR ('", "x' OR '1'='1", "%') OR 1=1 --", "' OR 1=1 --"):
        response = alice.get("/notes/", tag=payload)
        assert secret not in response.body, f"tag filter {payload!r} showed another user's note"


def test_comment_stored_xss(alice: Client, bob: Client):
    pk = bob.create_note(unique("bob-open-"), "say hi", public=True)
    marker = unique("xss-comment-")
    attack = f"<script>alert('{marker}')</script><img src=x onerror=alert(1)>"
    posted = alice.post(f"/notes/{pk}/comments/", {"body": attack}, token_page=f"/notes/{pk}/")
    assert posted.status in (302, 303)
    page = bob.get(f"/notes/{pk}/").body
    assert marker in page, "the comment is not shown any more"
    assert f"<script>alert('{marker}')" not in page, "the comment's <script> came back as HTML"
    assert "<img src=x onerror" not in page


def test_note_body_stored_xss(alice: Client, bob: Client):
    marker = unique("xss-body-")
    body = f"hello\n<script>alert('{marker}')</script>\n<img src=x onerror=alert(1)>"
    pk = bob.create_note(unique("bob-xss-"), body, public=True)
    shared = bob.post(f"/notes/{pk}/share/", token_page=f"/notes/{pk}/")
    link = re.search(r"(/notes/shared/[^\"'<\s]+)", shared.body)
    assert link, "no share link"
    for page in (alice.get(f"/notes/{pk}/").body, Client().get(link.group(1)).body):
        assert marker in page, "the note's body is not shown any more"
        assert re.search(r"hello<br\s*/?>", page), "the body's line breaks are not kept any more"
        assert f"<script>alert('{marker}')" not in page, "the body's <script> came back as HTML"
        assert "<img src=x onerror" not in page


def test_delete_requires_csrf_token(alice: Client):
    pk = alice.create_note(unique("keep-me-"))
    # A cross-site form post: the victim's session cookie, no CSRF cookie or token.
    victim = Client(cookies={k: v for k, v in alice.cookies.items() if k != "csrftoken"})
    victim.request(
        "POST",
        f"/notes/{pk}/delete/",
        body=b"",
        headers={
            "Origin": "https://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert alice.get(f"/notes/{pk}/").status == 200, "a cross-site POST deleted the note"
    # The legitimate use: the owner's own form, with its token, still deletes the note.
    deleted = alice.post(f"/notes/{pk}/delete/", token_page=f"/notes/{pk}/")
    assert deleted.status in (302, 303), f"deleting with a token: HTTP {deleted.status}"
    assert alice.get(f"/notes/{pk}/").status == 404, "the owner cannot delete the note"


def test_private_note_not_readable_by_others(alice: Client, bob: Client):
    secret = unique("bob-private-")
    pk = bob.create_note(secret, f"body of {secret}")
    own = bob.get(f"/notes/{pk}/")
    assert own.status == 200 and f"body of {secret}" in own.body, "the owner cannot read it"
    # Public notes stay readable by others: only the private ones are closed.
    title = unique("bob-public-")
    public = bob.create_note(title, "for everyone", public=True)
    opened = alice.get(f"/notes/{public}/")
    assert opened.status == 200 and title in opened.body, "others' public notes are closed"
    response = alice.get(f"/notes/{pk}/")
    assert secret not in response.body, "alice read bob's private note"
    assert response.status in (403, 404)


def test_staff_directory_requires_staff(alice: Client, bob: Client):
    directory = staff_client().get("/staff/")
    assert directory.status == 200, f"the staff cannot open the directory: {directory.status}"
    assert bob.username in directory.body, "the directory does not list the accounts"
    for who, client in (("an anonymous visitor", Client()), ("a member", alice)):
        page = client.get("/staff/")
        leaked = bob.username in page.body or f"{bob.username}@example.com" in page.body
        assert not leaked, f"{who} saw the user directory"


def test_login_open_redirect():
    carol = new_user("carol")
    carol.post("/accounts/logout/")
    legit = carol.login("/notes/search/")
    assert legit.status in (302, 303) and legit.location.endswith("/notes/search/")
    for target in ("https://evil.example/phish", "//evil.example/phish", "/\\evil.example/x"):
        response = carol.login(target)
        assert response.status in (302, 303), f"login with next={target!r} failed"
        where = urllib.parse.urlsplit(response.location.replace("\\", "/"))
        assert "evil.example" not in where.netloc, f"login redirected to {response.location!r}"


def test_download_path_traversal(alice: Client):
    pk = alice.create_note(unique("files-"))
    content = b"harmless " + unique("x").encode()
    alice.upload(f"/notes/{pk}/attachments/", "notes.txt", content, f"/notes/{pk}/")
    page = alice.get(f"/notes/{pk}/").body
    links = re.findall(r'href="([^"]*download[^"]*)"', page)
    assert links and alice.get(links[0].replace("&amp;", "&")).raw == content
    for name in (
        "../../../../../../../../etc/passwd",
        "/etc/passwd",
        "./../../../../../../../../../etc//passwd",
    ):
        response = alice.get(f"/notes/{pk}/download/", file=name)
        assert b"root:" not in response.raw, f"download of {name!r} read a system file"


def test_debug_pages_are_off():
    assert Client().get("/accounts/login/").status == 200, "the app does not serve its pages"
    response = Client().get("/" + unique("no-such-page-") + "/")
    assert response.status == 404
    for leak in ("DEBUG = True", "URLconf", "Traceback", "technical_404"):
        assert leak not in response.body, f"the 404 page shows debug information ({leak!r})"


def test_share_link_cannot_be_forged(bob: Client):
    # The legitimate use: a link the owner made opens the note for a visitor without an account.
    title = unique("bob-shared-")
    shared_pk = bob.create_note(title, "shared on purpose")
    shared = bob.post(f"/notes/{shared_pk}/share/", token_page=f"/notes/{shared_pk}/")
    link = re.search(r"(/notes/shared/[^\"'<\s]+)", shared.body)
    assert shared.status == 200 and link, "no share link"
    opened = Client().get(urllib.parse.urlsplit(link.group(1).replace("&amp;", "&")).path)
    assert opened.status == 200 and title in opened.body, "a genuine share link does not open"
    secret = unique("bob-unshared-")
    pk = bob.create_note(secret, "never shared")
    forged = forge_share_token(pk)
    response = Client().get(f"/notes/shared/{forged}/")
    assert secret not in response.body, "a link signed with the leaked SECRET_KEY opened the note"


def test_session_cookie_flags():
    carol = new_user("carol")
    carol.post("/accounts/logout/")
    page = carol.get("/accounts/login/")
    response = carol.login()
    assert response.status in (302, 303)
    home = carol.get("/notes/")  # the session the cookie carries still logs the user in
    assert home.status == 200 and carol.username in home.body, "the session does not work"
    cookies = cookie_flags(page.set_cookies() + response.set_cookies())
    session = [flags for name, flags in cookies.items() if "session" in name.lower()]
    assert session, f"no session cookie was set: {sorted(cookies)}"
    assert "httponly" in session[0], "the session cookie is readable from JavaScript"
    assert session[0].get("samesite", "").lower() in ("lax", "strict"), "session: no SameSite"
    if "csrftoken" in cookies:
        assert cookies["csrftoken"].get("samesite", "").lower() in ("lax", "strict")


def test_security_headers():
    response = Client().get("/accounts/login/")
    assert response.status == 200
    assert (response.header("X-Content-Type-Options") or "").lower() == "nosniff"
    assert (response.header("X-Frame-Options") or "").upper() in ("DENY", "SAMEORIGIN")
    policy = (response.header("Referrer-Policy") or "").lower()
    safe = {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "origin",
        "origin-when-cross-origin",
    }
    assert policy and {p.strip() for p in policy.split(",")} <= safe, policy


def test_profile_mass_assignment(bob: Client):
    mallory = new_user("mallory")
    name, bio = unique("Mallory "), unique("bio-")
    fields = {"display_name": name, "bio": bio, "role": "staff"}
    mallory.post("/accounts/profile/", fields, token_page="/accounts/profile/")
    profile = mallory.get("/accounts/profile/").body
    assert name in profile and bio in profile, "the profile form no longer saves its fields"
    # The escalation is measured by what the user then sees on /staff/, so that page must work
    # for real staff: without it the probe could not tell an escalated member from a member.
    assert mallory.username in staff_client().get("/staff/").body, "no working staff directory"
    page = mallory.get("/staff/")
    assert bob.username not in page.body, "a member made themselves staff through the profile"


def cookie_flags(lines: list[str]) -> dict[str, dict[str, str]]:
    """`Set-Cookie` lines to {name: {attribute (lower case): value}}; the last one wins."""
    found: dict[str, dict[str, str]] = {}
    for line in lines:
        first, *attributes = [part.strip() for part in line.split(";")]
        name = first.split("=", 1)[0]
        flags = {}
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            flags[key.strip().lower()] = value.strip()
        found[name] = flags
    return found


def forge_share_token(pk: int) -> str:
    from django.core.signing import TimestampSigner

    signer = TimestampSigner(key=LEAKED_SECRET_KEY, salt=SHARE_SALT, fallback_keys=[])
    return signer.sign_object(pk)
