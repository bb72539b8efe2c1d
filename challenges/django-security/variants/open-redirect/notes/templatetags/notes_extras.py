"""Template filters of the notes app."""

from django import template
from django.template.defaultfilters import linebreaksbr

register = template.Library()


@register.filter
def render_body(text):
    """A note's body as HTML: escaped, with the author's line breaks kept as <br>."""
    return linebreaksbr(text, autoescape=True)
