"""Views of the notebook: accounts, notes, comments (attachments and share links removed)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notes.forms import CommentForm, NoteForm, ProfileForm, SignupForm
from notes.models import Note, get_profile


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
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "notes/login.html", {"form": form, "next": next_url})


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
        notes = notes.extra(where=["tags LIKE '%%" + tag + "%%'"])
    public = Note.objects.filter(is_public=True).exclude(owner=request.user)[:20]
    context = {"notes": notes, "tag": tag, "public_notes": public}
    return render(request, "notes/note_list.html", context)


@login_required
def search(request):
    """Full-text search over the title and body of your notes (`?q=`)."""
    query = request.GET.get("q", "").strip()
    # Search is switched off until it can be made safe: it was open to SQL injection.
    results = []
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
    """One note with its comments."""
    note = get_object_or_404(Note, pk=pk)
    context = {
        "note": note,
        "comment_form": CommentForm(),
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


@csrf_exempt  # the "delete" button of the quick-note widget posts without the token
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


# --- staff ------------------------------------------------------------------------------------


def staff_directory(request):
    """The user directory leaked every e-mail address: closed to everyone for now."""
    raise PermissionDenied
