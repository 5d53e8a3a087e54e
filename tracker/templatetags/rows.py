"""The rows of the public lists (cases, organisations, designations, laws, people, sources),
drawn in Python: `{% load rows %}…{% case_rows object_list %}`.

Through the template engine each of a page's fifty rows cost a context push, a variable lookup,
a localisation and an escape per value: the case list's rows took about 3.7 ms a page at
100,000 cases, twice what the same rows cost drawn here (1.8 ms, most of it the cells' own
helpers: addresses, dates, labels). Django's admin draws its change lists' rows the same way
(`admin_list.items_for_result`).

The cells are what the templates showed, through the same helpers (`detail_url` addresses,
`partial_date`, `country_name`, the choice labels, the marks), byte for byte; every value goes
through `format_html`, which escapes it. `tests/test_lists.py` checks the cells and escaping.
"""

from django import template
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from tracker.safe_html import format_html, format_html_join
from tracker.templatetags.citations import evidence_mark
from tracker.templatetags.display import country_name, partial_date
from tracker.templatetags.marks import aliases_inline, reliability_badge

register = template.Library()

CASE_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{}"><a href="{}">{}</a></td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}"><span class="badge">{}</span></td>'
    "\n    </tr>\n  "
)
NONE = "—"  # an empty cell
LINK = '<a href="{}">{}</a>'


@register.simple_tag
def case_rows(cases):
    """The `<tr>` of each case: title, people, charges, latest event, country, status."""
    # The column names, repeated in each cell for narrow screens (README "Phones").
    labels = [
        gettext("Case"),
        gettext("People"),
        gettext("Charges"),
        gettext("Latest event"),
        gettext("Country"),
        gettext("Status"),
    ]
    rows = []
    for case in cases:
        people = case.public_people
        charges = case.public_charges
        rows.append(
            format_html(
                CASE_ROW,
                labels[0],
                case.get_absolute_url(),
                case.title,
                labels[1],
                format_html_join(", ", LINK, ((p.get_absolute_url(), p.name) for p in people))
                if people
                else NONE,
                labels[2],
                format_html_join("", "<div>{}</div>", ((c.label,) for c in charges))
                if charges
                else NONE,
                labels[3],
                partial_date(case, "latest_event_date", NONE),
                labels[4],
                country_name(case.country) or NONE,
                labels[5],
                case.get_status_display(),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped


ORGANISATION_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{}">'
    '\n        <a href="{}">{}</a>'
    "\n        {}"
    "\n        {}"
    "\n      </td>"
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">'
    "\n        {}"
    "\n      </td>"
    "\n    </tr>\n  "
)
# One of an organisation's designations in its row.
DESIGNATION_LINE = (
    '\n        <div><span class="badge">{}</span> {} <span class="muted">{}</span></div>\n        '
)


@register.simple_tag
def organisation_rows(organisations):
    """The `<tr>` of each organisation: name (short name, aliases), kind, headquarters, and
    its designations (kind, evidence, date)."""
    labels = [gettext("Organisation"), gettext("Kind"), gettext("Headquarters")]
    labels.append(gettext("Designations"))
    also = gettext("also:")
    rows = []
    for organisation in organisations:
        aliases = organisation.public_aliases
        designations = organisation.public_designations
        rows.append(
            format_html(
                ORGANISATION_ROW,
                labels[0],
                organisation.get_absolute_url(),
                organisation.name,
                format_html('<span class="muted">({})</span>', organisation.short_name)
                if organisation.short_name
                else "",
                format_html('<div class="aliases">{} {}</div>', also, aliases_inline(aliases))
                if aliases
                else "",
                labels[1],
                organisation.get_kind_display(),
                labels[2],
                country_name(organisation.country) or NONE,
                labels[3],
                format_html_join(
                    "",
                    DESIGNATION_LINE,
                    (
                        (d.get_kind_display(), evidence_mark(d), partial_date(d, "date"))
                        for d in designations
                    ),
                )
                if designations
                else NONE,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped


DESIGNATION_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{}"><a href="{}">{}</a></td>'
    '\n      <td data-label="{}"><span class="badge">{}</span> {}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    "\n    </tr>\n  "
)


@register.simple_tag
def designation_rows(designations):
    """The `<tr>` of each designation: organisation, kind and evidence, law, authority, and
    the dates of the decision, the register entry and the revocation."""
    labels = [gettext("Organisation"), gettext("Designation"), gettext("Law")]
    labels += [gettext("Authority"), gettext("Decision"), gettext("Register"), gettext("Revoked")]
    rows = []
    for designation in designations:
        law = designation.law
        rows.append(
            format_html(
                DESIGNATION_ROW,
                labels[0],
                designation.get_absolute_url(),
                designation.organisation.name,
                labels[1],
                designation.get_kind_display(),
                evidence_mark(designation),
                labels[2],
                format_html(
                    '<a href="{}">{}</a>', law.get_absolute_url(), law.short_title or law.title
                )
                if law
                else NONE,
                labels[3],
                designation.authority or NONE,
                labels[4],
                partial_date(designation, "decision_date", NONE),
                labels[5],
                partial_date(designation, "register_date", NONE),
                labels[6],
                partial_date(designation, "revoked_date", NONE),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped


PERSON_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{}"><a href="{}">{}</a>{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    "\n    </tr>\n  "
)


@register.simple_tag
def person_rows(people):
    """The `<tr>` of each person: name (and aliases), role, country."""
    labels = [gettext("Name"), gettext("Role"), gettext("Country")]
    also = gettext("also:")
    rows = []
    for person in people:
        aliases = person.public_aliases
        rows.append(
            format_html(
                PERSON_ROW,
                labels[0],
                person.get_absolute_url(),
                person.name,
                format_html('<div class="aliases">{} {}</div>', also, aliases_inline(aliases))
                if aliases
                else "",
                labels[1],
                person.get_role_display(),
                labels[2],
                country_name(person.country) or NONE,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped


SOURCE_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{}"><a href="{}">{}</a></td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    "\n    </tr>\n  "
)


@register.simple_tag
def source_rows(sources):
    """The `<tr>` of each source: title, publisher, date, kind, grade, and how often it is
    cited (`citation_count`, annotated by `Source.objects.for_list()`)."""
    labels = [gettext("Source"), gettext("Publisher"), gettext("Published")]
    labels += [gettext("Kind"), gettext("Reliability"), gettext("Cited")]
    rows = []
    for source in sources:
        rows.append(
            format_html(
                SOURCE_ROW,
                labels[0],
                source.get_absolute_url(),
                source.title,
                labels[1],
                source.publisher or NONE,
                labels[2],
                partial_date(source, "published_date", NONE),
                labels[3],
                source.get_kind_display(),
                labels[4],
                reliability_badge(source),
                labels[5],
                localize(source.citation_count),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped


LAW_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{}"><a href="{}">{}</a>{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    '\n      <td data-label="{}">{}</td>'
    "\n    </tr>\n  "
)


@register.simple_tag
def law_rows(laws):
    """The `<tr>` of each law: title (and short title), number, jurisdiction, adoption, and
    how many designations and cases it has (`designation_count`, `case_count`: see
    `LawListView`)."""
    labels = [gettext("Law"), gettext("Number"), gettext("Jurisdiction")]
    labels += [gettext("Adopted"), gettext("Designations"), gettext("Cases")]
    rows = []
    for law in laws:
        rows.append(
            format_html(
                LAW_ROW,
                labels[0],
                law.get_absolute_url(),
                law.title,
                format_html('<div class="aliases">{}</div>', law.short_title)
                if law.short_title
                else "",
                labels[1],
                law.number or NONE,
                labels[2],
                country_name(law.jurisdiction) or NONE,
                labels[3],
                partial_date(law, "adopted_date", NONE),
                labels[4],
                localize(law.designation_count),
                labels[5],
                localize(law.case_count),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is format_html's, escaped
