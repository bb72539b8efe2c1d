"""Forms of the notes app."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from notes.models import Comment, Note, Profile


class SignupForm(UserCreationForm):
    """Username, optional e-mail, password twice."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class NoteForm(forms.ModelForm):
    """Create or edit a note."""

    class Meta:
        model = Note
        fields = ["title", "body", "tags", "is_public"]


class CommentForm(forms.ModelForm):
    """A comment on a note."""

    class Meta:
        model = Comment
        fields = ["body"]


class ProfileForm(forms.ModelForm):
    """Edit your profile."""

    class Meta:
        model = Profile
        fields = "__all__"


class AttachmentForm(forms.Form):
    """Upload one file (at most MAX_UPLOAD_BYTES)."""

    file = forms.FileField()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is too large.")
        return upload
