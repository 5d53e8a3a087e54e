"""Template helpers for footnotes and evidence marks.

A detail page shows a reference mark for every fact and a footnote for every source (a law
page has dozens): `{% footnote_refs %}`, `{% evidence_mark %}` and `{% footnote_items %}`
write that markup in Python, each mark with one `format_html`, rather than through an
`{% include %}` per fact and a dozen template nodes per footnote.
"""

from urllib.parse import urlsplit

from django import template
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tracker.models.base import format_partial_date, is_web_address, page_url, partial_date_iso

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


@register.simple_tag
def footnote_refs(cited):
    """The reference marks [n] of one fact (`cited`: a tracker.footnotes.Cited)."""
    if cited is None or not cited.refs:
        return ""
    return format_html_join(
        "",
        '<sup class="fn-ref" id="{}"><a href="#{}" title="{}" aria-label="{}">[{}]</a></sup>',
        (
            (
                ref.anchor,
                ref.footnote.anchor,
                ref.footnote.source.title,
                _("Source %(number)s") % {"number": ref.number},
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


def _footnote(note):
    source = note.source
    if source.published_date:
        date = format_html(
            '<time datetime="{}">{}</time>',
            partial_date_iso(source.published_date, source.published_date_precision),
            format_partial_date(source.published_date, source.published_date_precision),
        )
    else:
        date = _("date not known")
    several = len(note.refs) > 1
    back = format_html_join(
        "",
        ' <a href="#{}" aria-label="{}">↩&#xFE0E;{}</a>{}',
        (
            (
                ref.anchor,
                _("Back to citation %(n)s") % {"n": number},
                f" {number}" if several else "",
                format_html(
                    ' <span class="badge badge-conflict">{}</span>', _("conflicting account")
                )
                if ref.conflicting
                else "",
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
        source.publisher or _("publisher not known"),
        date,
        source.get_kind_display(),
        source.reliability,
        source.get_reliability_display(),
        source.reliability_meaning,
        format_html_join("", "<blockquote>{}</blockquote>", ((quote,) for quote in note.quotes)),
        original_link(source.url) if source.url else note.without_address,
        source.get_absolute_url(),
        _("About this source"),
        _("Cited at:"),
        back,
    )


@register.simple_tag
def footnote_items(footnotes):
    """The `<li>` of every footnote of the page (`footnotes`: tracker.footnotes.Footnotes)."""
    return mark_safe("".join(_footnote(note) for note in footnotes))  # noqa: S308 (each item built by format_html)
