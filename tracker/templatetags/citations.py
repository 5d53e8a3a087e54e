"""Template helpers for footnotes and evidence marks."""

from urllib.parse import urlsplit

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from tracker.models.base import is_web_address

register = template.Library()


@register.simple_tag
def methodology_url(fragment=""):
    """The methodology page (where grades and marks are explained), or a bare fragment while
    the site has no such page."""
    try:
        url = reverse("tracker:methodology")
    except NoReverseMatch:
        url = ""
    return f"{url}#{fragment}" if fragment else (url or "#")


@register.filter
def original_link(url):
    """A direct link to a source's original document, marked as leaving the site; only
    http(s) addresses become links (anything else is shown as text)."""
    if not is_web_address(url):
        return url
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return format_html(
        '<a class="external" href="{}" rel="noopener noreferrer nofollow">{}</a> '
        '<span class="muted">{}</span>',
        url,
        _("Original at %(host)s") % {"host": host},
        _("(leaves this site)"),
    )
