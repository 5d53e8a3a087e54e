"""The rows of the public lists (cases, organisations, designations, laws, people, sources),
drawn in Python: `{% load rows %}…{% case_rows object_list %}`.

Through the template engine each of a page's fifty rows cost a context push, a variable lookup,
a localisation and an escape per value: the case list's rows took about 3.7 ms a page at
100,000 cases, twice what the same rows cost drawn here (1.8 ms, most of it the cells' own
helpers: addresses, dates, labels). Django's admin draws its change lists' rows the same way
(`admin_list.items_for_result`).

Each list is a tuple of columns, (label, cell): `_rows` draws a `<td>` per column, headed by
the column's label for narrow screens (README "Phones"), holding what `cell(record)` gives:
text, which is escaped, or markup made by `format_html`. The cells are what the templates
showed, through the same helpers (`detail_url` addresses, `partial_date`, `country_name`, the
choice labels, the marks), byte for byte. `tests/test_lists.py` checks the cells and escaping.
"""

from django import template
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.safe_html import conditional_escape, format_html, format_html_join
from tracker.templatetags.citations import evidence_mark
from tracker.templatetags.display import country_name, partial_date
from tracker.templatetags.marks import aliases_inline, reliability_badge

register = template.Library()

NONE = "—"  # an empty cell
LINK = '<a href="{}">{}</a>'
CELL = '\n      <td data-label="{}">{{}}</td>'


def _rows(records, columns):
    """The `<tr>` of each record, a `<td>` per column of `columns`. The labels are the same in
    every row: escaped once, into the row's format string."""
    labels = (
        conditional_escape(str(label)).replace("{", "{{").replace("}", "}}") for label, _ in columns
    )
    row = "\n    <tr>" + "".join(CELL.format(label) for label in labels) + "\n    </tr>\n  "
    cells = [cell for _label, cell in columns]
    rows = [format_html(row, *[cell(record) for cell in cells]) for record in records]
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped


def _link(record, text):
    return format_html(LINK, record.get_absolute_url(), text)


def _aliases(record):
    """A person's or an organisation's other names, each in its language, or nothing."""
    aliases = record.public_aliases
    if not aliases:
        return ""
    return format_html(
        '<div class="aliases">{} {}</div>', gettext("also:"), aliases_inline(aliases)
    )


CASE_COLUMNS = (
    (_("Case"), lambda case: _link(case, case.title)),
    (
        _("People"),
        lambda case: (
            format_html_join(
                ", ",
                LINK,
                ((person.get_absolute_url(), person.name) for person in case.public_people),
            )
            or NONE
        ),
    ),
    (
        _("Charges"),
        lambda case: (
            format_html_join(
                "", "<div>{}</div>", ((charge.label,) for charge in case.public_charges)
            )
            or NONE
        ),
    ),
    (_("Latest event"), lambda case: partial_date(case, "latest_event_date", NONE)),
    (_("Country"), lambda case: country_name(case.country) or NONE),
    (
        _("Status"),
        lambda case: format_html('<span class="badge">{}</span>', case.get_status_display()),
    ),
)

# One of an organisation's designations in its row.
DESIGNATION_LINE = (
    '\n        <div><span class="badge">{}</span> {} <span class="muted">{}</span></div>\n        '
)

ORGANISATION_COLUMNS = (
    (
        _("Organisation"),
        lambda organisation: format_html(
            '\n        <a href="{}">{}</a>\n        {}\n        {}\n      ',
            organisation.get_absolute_url(),
            organisation.name,
            format_html('<span class="muted">({})</span>', organisation.short_name)
            if organisation.short_name
            else "",
            _aliases(organisation),
        ),
    ),
    (_("Kind"), lambda organisation: organisation.get_kind_display()),
    (_("Headquarters"), lambda organisation: country_name(organisation.country) or NONE),
    (
        _("Designations"),
        lambda organisation: format_html(
            "\n        {}\n      ",
            format_html_join(
                "",
                DESIGNATION_LINE,
                (
                    (d.get_kind_display(), evidence_mark(d), partial_date(d, "date"))
                    for d in organisation.public_designations
                ),
            )
            or NONE,
        ),
    ),
)

DESIGNATION_COLUMNS = (
    (_("Organisation"), lambda designation: _link(designation, designation.organisation.name)),
    (
        _("Designation"),
        lambda designation: format_html(
            '<span class="badge">{}</span> {}',
            designation.get_kind_display(),
            evidence_mark(designation),
        ),
    ),
    (
        _("Law"),
        lambda designation: (
            _link(designation.law, designation.law.short_title or designation.law.title)
            if designation.law
            else NONE
        ),
    ),
    (_("Authority"), lambda designation: designation.authority or NONE),
    (_("Decision"), lambda designation: partial_date(designation, "decision_date", NONE)),
    (_("Register"), lambda designation: partial_date(designation, "register_date", NONE)),
    (_("Revoked"), lambda designation: partial_date(designation, "revoked_date", NONE)),
)

PERSON_COLUMNS = (
    (_("Name"), lambda person: format_html("{}{}", _link(person, person.name), _aliases(person))),
    (_("Role"), lambda person: person.get_role_display()),
    (_("Country"), lambda person: country_name(person.country) or NONE),
)

# `citation_count` is set by `SourceListView` (`row_counts`).
SOURCE_COLUMNS = (
    (_("Source"), lambda source: _link(source, source.title)),
    (_("Publisher"), lambda source: source.publisher or NONE),
    (_("Published"), lambda source: partial_date(source, "published_date", NONE)),
    (_("Kind"), lambda source: source.get_kind_display()),
    (_("Reliability"), reliability_badge),
    (_("Cited"), lambda source: localize(source.citation_count)),
)

# `designation_count` and `case_count` are set by `LawListView` (`row_counts`).
LAW_COLUMNS = (
    (
        _("Law"),
        lambda law: format_html(
            "{}{}",
            _link(law, law.title),
            format_html('<div class="aliases">{}</div>', law.short_title)
            if law.short_title
            else "",
        ),
    ),
    (_("Number"), lambda law: law.number or NONE),
    (_("Jurisdiction"), lambda law: country_name(law.jurisdiction) or NONE),
    (_("Adopted"), lambda law: partial_date(law, "adopted_date", NONE)),
    (_("Designations"), lambda law: localize(law.designation_count)),
    (_("Cases"), lambda law: localize(law.case_count)),
)


@register.simple_tag
def case_rows(cases):
    """Title, people, charges, latest event, country, status."""
    return _rows(cases, CASE_COLUMNS)


@register.simple_tag
def organisation_rows(organisations):
    """Name (short name, aliases), kind, headquarters, designations (kind, evidence, date)."""
    return _rows(organisations, ORGANISATION_COLUMNS)


@register.simple_tag
def designation_rows(designations):
    """Organisation, kind and evidence, law, authority, decision, register entry, revocation."""
    return _rows(designations, DESIGNATION_COLUMNS)


@register.simple_tag
def person_rows(people):
    """Name (and aliases), role, country."""
    return _rows(people, PERSON_COLUMNS)


@register.simple_tag
def source_rows(sources):
    """Title, publisher, date, kind, grade, how often it is cited."""
    return _rows(sources, SOURCE_COLUMNS)


@register.simple_tag
def law_rows(laws):
    """Title (and short title), number, jurisdiction, adoption, designations, cases."""
    return _rows(laws, LAW_COLUMNS)
