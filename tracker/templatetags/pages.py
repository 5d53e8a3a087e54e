"""What a page says about itself: OpenGraph and canonical meta, and "cite this page".

`{% page_meta as meta %}` (templates/includes/head_meta.html) and `{% citation record
last_updated as cite %}` (templates/includes/cite.html) derive everything from the page's
record and request, so detail templates need nothing but one `{% include %}` line.
"""

from django import template
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext

from tracker.templatetags.display import host_allowed, permalink_for, site_time

register = template.Library()

SITE_NAME = "Repression Tracker"
# The public text fields that say what a record is, in order of preference (never notes).
DESCRIPTION_FIELDS = ("summary", "description")
DESCRIPTION_WORDS = 40


def record_description(record):
    """The first public summary or description of the record, shortened for a preview card."""
    for name in DESCRIPTION_FIELDS:
        text = getattr(record, name, "")
        if isinstance(text, str) and text.strip():
            return Truncator(" ".join(text.split())).words(DESCRIPTION_WORDS)
    return ""


@register.simple_tag(takes_context=True)
def page_meta(context):
    """title, description, type and the canonical address of the page being rendered.

    A record's page (a DetailView's `object`) is an article at its permalink; any other page is
    the website at its path without the query string (a filtered list is the list).
    """
    request = context.get("request")
    record = context.get("object")
    if request is None or "exception" in context or not host_allowed(request):
        # An error page (Django's handlers pass `exception`; the 400 page may have no
        # request, or one with a host that is not ours): no address of its own to claim,
        # and the mistyped path is not echoed back.
        return {"title": SITE_NAME, "description": "", "type": "website", "url": ""}
    if record is not None and hasattr(record, "get_absolute_url"):
        return {
            "title": str(record),
            "description": record_description(record),
            "type": "article",
            "url": permalink_for(request, record),
        }
    return {
        "title": context.get("meta_title") or SITE_NAME,
        "description": "",
        "type": "website",
        "url": request.build_absolute_uri(request.path),
    }


def bibtex_escape(text):
    """Text safe inside a BibTeX field: LaTeX's special characters escaped."""
    for char, escaped in (
        ("\\", r"\textbackslash{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
    ):
        text = text.replace(char, escaped)
    return text


@register.simple_tag(takes_context=True)
def citation(context, record, last_updated):
    """A ready-to-copy citation of the record's page, as plain text and as BibTeX.

    The page is cached and shared by every reader, so it carries no access date of its own:
    the record's last-updated date (in settings.TIME_ZONE) says which version was read, and
    the reader adds the day they read it where the text asks for it.
    """
    url = permalink_for(context["request"], record)
    updated = site_time(last_updated).date() if last_updated else None
    updated_text = date_format(updated, "j E Y") if updated else ""
    title = str(record)
    text = gettext("%(site)s, “%(title)s”, %(url)s") % {
        "site": SITE_NAME,
        "title": title,
        "url": url,
    }
    if updated:
        text += gettext(" (last updated %(date)s; accessed [date you read it])") % {
            "date": updated_text
        }
    else:
        text += gettext(" (accessed [date you read it])")
    key = f"repression-tracker-{record._meta.model_name}-{record.pk}"
    fields = [
        ("title", bibtex_escape(title)),
        ("author", "{" + SITE_NAME + "}"),
        ("howpublished", "\\url{" + url + "}"),
    ]
    if updated:
        fields += [
            ("year", str(updated.year)),
            ("note", gettext("Last updated %(date)s") % {"date": updated.isoformat()}),
        ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return {
        "url": url,
        "last_updated": last_updated,
        "text": text + ".",
        "bibtex": f"@misc{{{key},\n{body}\n}}",
    }
