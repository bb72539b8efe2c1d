"""Views of the notebook: accounts, notes, comments, attachments, share links, staff."""

import os
import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST

from notes.forms import AttachmentForm, CommentForm, NoteForm, ProfileForm, SignupForm
from notes.models import Attachment, Note, get_profile

SHARE_SALT = "notes.share"
SHARE_MAX_AGE = 7 * 24 * 3600


def healthz(request):
    """Liveness check."""
    return HttpResponse("ok", content_type="text/plain")


# --- accounts ---------------------------------------------------------------------------------


def signup(request):
    """Create an account and log in."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("notes:list")
    return render(request, "notes/signup.html", {"form": form})


def login_view(request):
    """Log in, then go back where the user came from (`next`)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(safe_next(request, next_url))
    return render(request, "notes/login.html", {"form": form, "next": next_url})


def safe_next(request, next_url):
    """`next_url` if it stays on this site, else the default page after login."""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return settings.LOGIN_REDIRECT_URL


@require_POST
def logout_view(request):
    """Log out."""
    logout(request)
    return redirect("login")


@login_required
def profile(request):
    """Show and edit your profile."""
    own = get_profile(request.user)
    form = ProfileForm(request.POST or None, instance=own)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "notes/profile.html", {"form": form, "profile": own})


# --- notes ------------------------------------------------------------------------------------


def visible_notes(user):
    """Notes the user may read: their own and everyone's public ones."""
    return Note.objects.filter(Q(owner=user) | Q(is_public=True))


@login_required
def note_list(request):
    """Your notes, optionally filtered by one tag (`?tag=`)."""
    notes = Note.objects.filter(owner=request.user)
    tag = request.GET.get("tag", "").strip()
    if tag:
        notes = notes.filter(tags__icontains=tag)
    public = Note.objects.filter(is_public=True).exclude(owner=request.user)[:20]
    context = {"notes": notes, "tag": tag, "public_notes": public}
    return render(request, "notes/note_list.html", context)


@login_required
def search(request):
    """Full-text search over the title and body of your notes (`?q=`)."""
    query = request.GET.get("q", "").strip()
    results = []
    if query:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM notes_note WHERE owner_id = %d AND (title LIKE '%%%s%%' "
                "OR body LIKE '%%%s%%') ORDER BY updated DESC" % (request.user.id, query, query)
            )
            ids = [row[0] for row in cursor.fetchall()]
        results = sorted(Note.objects.filter(id__in=ids), key=lambda n: ids.index(n.id))
    return render(request, "notes/search.html", {"query": query, "results": results})


@login_required
def note_create(request):
    """Write a new note."""
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.save(commit=False)
        note.owner = request.user
        note.save()
        return redirect("notes:detail", pk=note.pk)
    return render(request, "notes/note_form.html", {"form": form, "note": None})


@login_required
def note_detail(request, pk):
    """One note with its comments and attachments: yours, or someone's public one."""
    note = get_object_or_404(visible_notes(request.user), pk=pk)
    context = {
        "note": note,
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "is_owner": note.owner_id == request.user.id,
    }
    return render(request, "notes/note_detail.html", context)


@login_required
def note_edit(request, pk):
    """Edit one of your notes."""
    note = get_object_or_404(Note, pk=pk, owner=request.user)
    form = NoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("notes:detail", pk=note.pk)
    return render(request, "notes/note_form.html", {"form": form, "note": note})


@login_required
@require_POST
def note_delete(request, pk):
    """Delete one of your notes."""
    note = get_object_or_404(Note, pk=pk, owner=request.user)
    note.delete()
    messages.success(request, "Note deleted.")
    return redirect("notes:list")


@login_required
@require_POST
def comment_create(request, pk):
    """Comment on a note you can read."""
    note = get_object_or_404(visible_notes(request.user), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        comment = form.save(commit=False)
        comment.note = note
        comment.author = request.user
        comment.save()
    return redirect("notes:detail", pk=note.pk)


# --- attachments ------------------------------------------------------------------------------


@login_required
@require_POST
def attachment_upload(request, pk):
    """Attach a file to one of your notes."""
    note = get_object_or_404(Note, pk=pk, owner=request.user)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        name = get_valid_filename(os.path.basename(upload.name)) or "file"
        stored_name = f"{uuid.uuid4().hex}_{name}"
        os.makedirs(settings.MEDIA_ROOT, exist_ok=True)
        with open(os.path.join(settings.MEDIA_ROOT, stored_name), "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        Attachment.objects.create(note=note, name=name, stored_name=stored_name, size=upload.size)
    else:
        messages.error(request, "Upload failed: " + "; ".join(form.errors.get("file", [])))
    return redirect("notes:detail", pk=note.pk)


@login_required
def attachment_download(request, pk):
    """Download an attachment of a note you can read (`?file=<stored name>`).

    Only a name recorded for this note is served, and only from inside MEDIA_ROOT.
    """
    note = get_object_or_404(visible_notes(request.user), pk=pk)
    attachment = get_object_or_404(Attachment, note=note, stored_name=request.GET.get("file"))
    root = os.path.realpath(settings.MEDIA_ROOT)
    path = os.path.realpath(os.path.join(root, attachment.stored_name))
    if os.path.dirname(path) != root or not os.path.isfile(path):
        raise Http404("no such file")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=attachment.name)


# --- share links ------------------------------------------------------------------------------


@login_required
@require_POST
def note_share(request, pk):
    """Make a read-only link to one of your notes, valid for seven days."""
    note = get_object_or_404(Note, pk=pk, owner=request.user)
    token = signing.dumps(note.pk, salt=SHARE_SALT)
    url = request.build_absolute_uri(reverse("notes:shared", args=[token]))
    return render(request, "notes/share.html", {"note": note, "url": url})


def note_shared(request, token):
    """A note opened through a share link; no account needed."""
    try:
        pk = signing.loads(token, salt=SHARE_SALT, max_age=SHARE_MAX_AGE)
    except signing.BadSignature:
        raise Http404("invalid or expired link") from None
    note = get_object_or_404(Note, pk=pk)
    return render(request, "notes/shared.html", {"note": note})


# --- staff ------------------------------------------------------------------------------------


def staff_required(view):
    """Log in first; then only staff get through, everyone else gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not get_profile(request.user).is_staff_member:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@staff_required
def staff_directory(request):
    """Every account with its e-mail, role and number of notes (staff only)."""
    users = (
        User.objects.select_related("profile")
        .annotate(note_count=Count("notes"))
        .order_by("username")
    )
    return render(request, "notes/staff.html", {"users": users})
