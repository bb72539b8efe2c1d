"""The notes app."""

from django.apps import AppConfig


class NotesConfig(AppConfig):
    """Accounts, notes, comments, attachments and share links."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notes"
