"""Profiles, notes, comments and attachments."""

from django.contrib.auth.models import User
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver


class Profile(models.Model):
    """What a user tells others about themselves, and their role on the site."""

    ROLES = [("member", "Member"), ("staff", "Staff")]

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", editable=False
    )
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    role = models.CharField(max_length=10, choices=ROLES, default="member")

    def __str__(self):
        return self.display_name or self.user.username

    @property
    def is_staff_member(self):
        """Staff may open the user directory."""
        return self.role == "staff"


class Note(models.Model):
    """A note: private to its owner unless marked public."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000, blank=True)
    tags = models.CharField(max_length=200, blank=True, help_text="comma-separated")
    is_public = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]

    def __str__(self):
        return self.title

    def tag_list(self):
        """The tags, split and stripped."""
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]


class Comment(models.Model):
    """A comment on a note."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(max_length=2000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.author} on {self.note}"


class Attachment(models.Model):
    """A file attached to a note, stored under MEDIA_ROOT as `stored_name`."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255, unique=True)
    size = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return self.name


def get_profile(user):
    """The user's profile, created on first use."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@receiver(post_save, sender=User)
def create_profile(sender, instance, created, **kwargs):
    """Every new user gets a profile."""
    if created:
        Profile.objects.get_or_create(user=instance)
