"""Template helpers for footnotes and evidence marks.

A detail page shows a reference mark for every fact and a footnote for every source (a law
page has dozens): `{% footnote_refs %}`, `{% evidence_mark %}` and `{% footnote_items %}`
write that markup in Python, each piece with one `format_html` (tracker.safe_html), rather than
through an `{% include %}` per fact and a dozen template nodes per footnote.
"""

from urllib.parse import urlsplit

from django import template
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tracker.models.base import format_partial_date, is_web_address, page_url, partial_date_iso
from tracker.safe_html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def methodology_url(fragment=""):
    """The methodology page (where grades and marks are explained), or a bare fragment while
    the site has no such page."""
    try:
        url = page_url("tracker:methodology")
    except NoReverseMatch:
        url = ""
    return f"{url}#{fragment}" if fragment else (url or "#")


@register.filter
def original_link(url):
    """A direct link to a source's original document, marked as leaving the site; only
    http(s) addresses become links (anything else is shown as text)."""
    return _original_link(url, _("Original at %(host)s"), _("(leaves this site)"))


@register.simple_tag
def footnote_refs(cited):
    """The reference marks [n] of one fact (`cited`: a tracker.footnotes.Cited)."""
    if cited is None or not cited.refs:
        return ""
    label = _("Source %(number)s")
    return format_html_join(
        "",
        '<sup class="fn-ref" id="{}"><a href="#{}" title="{}" aria-label="{}">[{}]</a></sup>',
        (
            (
                ref.anchor,
                ref.footnote.anchor,
                ref.footnote.source.title,
                label % {"number": ref.number},
                ref.number,
            )
            for ref in cited.refs
        ),
    )


@register.simple_tag
def evidence_mark(record):
    """The "unverified" mark of a record whose evidence is known (tracker.models.evidence):
    set by the footnotes on a detail page, annotated by with_evidence() in a list."""
    if not record.is_unverified:
        return ""
    explanation = record.evidence_explanation
    return format_html(
        '<a class="mark mark-unverified" href="{}" title="{}">{}'
        '<span class="visually-hidden">: {}</span></a>',
        methodology_url("evidence"),
        explanation,
        _("unverified"),
        explanation,
    )


@register.simple_tag
def claims(cited):
    """Conflicting accounts of one fact side by side (includes/claims.html), or nothing when
    no citation of the fact is marked conflicting (nearly always)."""
    if cited is None or not cited.has_conflict:
        return ""
    return mark_safe(render_to_string("includes/claims.html", {"cited": cited}))  # noqa: S308 (rendered and escaped by the template engine)


class _Words:
    """The fixed words of a footnote list, translated once per list rather than per note."""

    def __init__(self):
        self.publisher_unknown = _("publisher not known")
        self.date_unknown = _("date not known")
        self.about = _("About this source")
        self.cited_at = _("Cited at:")
        self.back = _("Back to citation %(n)s")
        self.leaves = _("(leaves this site)")
        self.original_at = _("Original at %(host)s")
        self.conflict = format_html(
            ' <span class="badge badge-conflict">{}</span>', _("conflicting account")
        )
        self._meanings = {}

    def meaning(self, source):
        grade = source.reliability
        if grade not in self._meanings:
            self._meanings[grade] = str(source.reliability_meaning)
        return self._meanings[grade]


def _original_link(url, original_at, leaves):
    """`original_link`, with its words already translated."""
    if not is_web_address(url):
        return url
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return format_html(
        '<a class="external" href="{}" rel="noopener noreferrer nofollow">{}</a> '
        '<span class="muted">{}</span>',
        url,
        original_at % {"host": host},
        leaves,
    )


def _footnote(note, words):
    source = note.source
    if source.published_date:
        date = format_html(
            '<time datetime="{}">{}</time>',
            partial_date_iso(source.published_date, source.published_date_precision),
            format_partial_date(source.published_date, source.published_date_precision),
        )
    else:
        date = words.date_unknown
    if source.url:
        links = _original_link(source.url, words.original_at, words.leaves)
    else:
        links = note.without_address
    several = len(note.refs) > 1
    back = format_html_join(
        "",
        ' <a href="#{}" aria-label="{}">↩&#xFE0E;{}</a>{}',
        (
            (
                ref.anchor,
                words.back % {"n": number},
                f" {number}" if several else "",
                words.conflict if ref.conflicting else "",
            )
            for number, ref in enumerate(note.refs, start=1)
        ),
    )
    return format_html(
        '  <li class="footnote" id="{}" value="{}">\n'
        '    <p class="footnote-head"><cite>{}</cite>\n'
        '      <span class="muted">— {}, {}; {}</span></p>\n'
        '    <p class="footnote-grade"><span class="badge badge-{}">{}</span>'
        ' <span class="grade-meaning">{}</span></p>\n'
        "    {}\n"
        '    <p class="footnote-links">{}\n'
        '      · <a href="{}">{}</a></p>\n'
        '    <p class="footnote-back">{}{}</p>\n'
        "  </li>\n",
        note.anchor,
        note.number,
        source.title,
        source.publisher or words.publisher_unknown,
        date,
        source.get_kind_display(),
        source.reliability,
        source.get_reliability_display(),
        words.meaning(source),
        format_html_join("", "<blockquote>{}</blockquote>", ((quote,) for quote in note.quotes)),
        links,
        source.get_absolute_url(),
        words.about,
        words.cited_at,
        back,
    )


@register.simple_tag
def footnote_items(footnotes):
    """The `<li>` of every footnote of the page (`footnotes`: tracker.footnotes.Footnotes)."""
    words = _Words()
    return mark_safe("".join(_footnote(note, words) for note in footnotes))  # noqa: S308 (each item built by format_html, which escapes)
