"""Exploit probes: each one attacks one security hole and passes only when the attack fails.

Every probe first checks that the feature it attacks still works, so removing the feature does
not count as fixing the hole.
"""

import re
import urllib.parse

from webclient import Client, new_user, unique

#: The SECRET_KEY hard-coded in the starter's settings, as an attacker reading the repo sees it.
LEAKED_SECRET_KEY = "django-insecure-n0tebook-2f9c1e8a7b-shipping-it-friday-4d1f0c"
SHARE_SALT = "notes.share"


def test_search_sql_injection(alice: Client, bob: Client):
    secret = unique("bob-search-secret-")
    bob.create_note(secret, "bob only")
    word = unique("findme")
    mine = alice.create_note(f"alice {word}", "")
    assert f"/notes/{mine}/" in alice.get("/notes/search/", q=word).body
    for payload in ("zz') OR 1=1 --", "zz' OR '1'='1", "%') OR 1=1 OR ('", "' OR 1=1 --"):
        response = alice.get("/notes/search/", q=payload)
        assert secret not in response.body, f"search {payload!r} showed another user's note"


def test_tag_filter_sql_injection(alice: Client, bob: Client):
    secret = unique("bob-tagged-secret-")
    bob.create_note(secret, "bob only", tags="private")
    tag = unique("t")
    mine = alice.create_note(unique("alice-tagged-"), "", tags=f"x, {tag}")
    assert f"/notes/{mine}/" in alice.get("/notes/", tag=tag).body
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


def test_private_note_not_readable_by_others(alice: Client, bob: Client):
    secret = unique("bob-private-")
    pk = bob.create_note(secret, f"body of {secret}")
    assert bob.get(f"/notes/{pk}/").status == 200
    response = alice.get(f"/notes/{pk}/")
    assert secret not in response.body, "alice read bob's private note"
    assert response.status in (403, 404)


def test_staff_directory_requires_staff(alice: Client, bob: Client):
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
    response = Client().get("/" + unique("no-such-page-") + "/")
    assert response.status == 404
    for leak in ("DEBUG = True", "URLconf", "Traceback", "technical_404"):
        assert leak not in response.body, f"the 404 page shows debug information ({leak!r})"


def test_share_link_cannot_be_forged(bob: Client):
    secret = unique("bob-unshared-")
    pk = bob.create_note(secret, "never shared")
    shared = bob.post(f"/notes/{pk}/share/", token_page=f"/notes/{pk}/")
    assert shared.status == 200 and "/notes/shared/" in shared.body
    forged = forge_share_token(pk)
    response = Client().get(f"/notes/shared/{forged}/")
    assert secret not in response.body, "a link signed with the leaked SECRET_KEY opened the note"


def test_session_cookie_flags():
    carol = new_user("carol")
    carol.post("/accounts/logout/")
    page = carol.get("/accounts/login/")
    response = carol.login()
    assert response.status in (302, 303)
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
    name = unique("Mallory ")
    fields = {"display_name": name, "bio": "hi", "role": "staff"}
    mallory.post("/accounts/profile/", fields, token_page="/accounts/profile/")
    assert name in mallory.get("/accounts/profile/").body, "the profile form no longer saves"
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
