"""Template filters of the notes app."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def render_body(text):
    """A note's body as HTML, keeping the author's line breaks."""
    return mark_safe(text.replace("\n", "<br>"))
