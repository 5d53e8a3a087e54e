"""The small marks a list shows on every row, drawn in Python rather than by an include.

`{% aliases_inline aliases %}` and `{% reliability_badge source %}` give what
`includes/aliases.html` and `includes/reliability.html` give (those templates call these tags),
and `{% evidence_mark record %}` is the detail pages' unverified mark: an include per row, with
its context pushed and its nodes walked, cost more than the rest of a list's row.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from tracker.safe_html import format_html
from tracker.templatetags.citations import evidence_mark

register = template.Library()


@register.simple_tag
def aliases_inline(aliases):
    """Each alias in its language, marked when it is a transliteration no source gives."""
    mark = format_html(
        ' <span class="alias-mark">({})</span>', gettext("transliteration, not from a source")
    )
    return mark_safe(  # noqa: S308 (each part is escaped by format_html)
        ", ".join(
            format_html(
                "<span{}>{}</span>{}",
                format_html(' lang="{}"', alias.language) if alias.language else "",
                alias.name,
                "" if alias.from_source else mark,
            )
            for alias in aliases
        )
    )


# The "unverified" mark: the same tag as the detail pages' (one definition).
register.simple_tag(evidence_mark)


@register.simple_tag
def reliability_badge(source, meaning=False):
    """A source's grade as a badge; with `meaning`, also what the grade means in words (never
    colour alone)."""
    badge = format_html(
        '<span class="badge badge-{}">{}</span>',
        source.reliability,
        source.get_reliability_display(),
    )
    if not meaning:
        return badge
    return format_html(
        '{} <span class="grade-meaning">{}</span>', badge, source.reliability_meaning
    )
