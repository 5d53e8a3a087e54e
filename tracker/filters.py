"""The filters of every public list, as django-filter FilterSets.

Filters on related rows use subqueries (EXISTS for a designation's law and
year, IN for a case's charges, events and people), so a record is never listed
twice and several conditions on designations must hold for the same designation.
"""

import datetime
import hashlib
import re

import django_filters
from django import forms
from django.conf import settings
from django.db import connections
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from tracker import search
from tracker.caching import cached_fragment, code_fingerprint
from tracker.choices import (
    CaseStatus,
    DatePrecision,
    DesignationKind,
    EventKind,
    LawKind,
    OrganisationKind,
    PersonRole,
    Reliability,
    SourceKind,
)
from tracker.models import (
    Case,
    CaseEvent,
    Charge,
    Designation,
    Law,
    Organisation,
    Person,
    Source,
)
from tracker.models.organisations import designation_date
from tracker.models.search import SearchEntry, SearchKind


class YearFilter(django_filters.NumberFilter):
    """A four-digit year; anything else is reported and ignored."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class CachedOptionsSelect(forms.Select):
    """A select whose long list of options is drawn once, then only the chosen option marked.

    Drawing a few hundred <option>s through the template engine costs far more than the
    rest of a list page. The select is drawn as Django draws it with no option chosen, once per
    field name and attributes, language and code, and per version of `models`, the records its
    options come from (once per process when they come from none, as countries do); the chosen
    option then gets ` selected` by replacing its exact `<option value="…">`, the value escaped
    as the template escapes it. The HTML is the same as the plain Select's.
    """

    _static = {}  # drawn selects whose options depend on no record, by key
    fragment = None  # a subclass may name its fragment (a widget given as a class)
    models = ()

    def __init__(self, fragment=None, models=(), attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.fragment = fragment or self.fragment
        self.models = tuple(models) or self.models

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        shape = hashlib.sha256(repr((name, sorted(final_attrs.items()))).encode()).hexdigest()
        key = f"{self.fragment}:{shape[:16]}"

        def draw():  # a list is a value that chooses no option
            return str(super(CachedOptionsSelect, self).render(name, [], attrs, renderer))

        if self.models:
            html = cached_fragment(key, self.models, draw)
        else:
            static_key = (key, get_language(), code_fingerprint())
            html = self._static.get(static_key)
            if html is None:
                html = self._static[static_key] = draw()
        return mark_safe(self.mark_chosen(html, self.format_value(value)))  # noqa: S308

    @staticmethod
    def mark_chosen(html, values):
        """`html` with the first option whose value is one of `values` chosen, as Select does."""
        found = [
            (position, tag)
            for value in values
            if (position := html.find(tag := f'<option value="{escape(value)}">')) != -1
        ]
        if not found:
            return html
        position, tag = min(found)
        end = position + len(tag) - 1
        return f"{html[:end]} selected{html[end:]}"


def choice_filter(label, choices, **kwargs):
    """A ChoiceFilter over the fixed `choices` of a TextChoices class, its select drawn once
    per language and code (CachedOptionsSelect) like the long ones: drawing even a short
    select through the template engine cost more than a list's rows."""
    return django_filters.ChoiceFilter(
        label=label,
        choices=choices.choices,
        widget=CachedOptionsSelect(f"choices:{choices.__name__}"),
        **kwargs,
    )


def country_filter(label=None, **kwargs):
    return django_filters.ChoiceFilter(
        label=label or _("Country"),
        choices=lambda: list(countries),
        widget=CachedOptionsSelect("countries"),
        **kwargs,
    )


def _number_key(number):
    """Sorts official numbers as numbers: 20.3.1 before 200.1, 275 before 275.1."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", number)
    ]


def law_choice_label(law):
    """A law as the law filter offers it: its number first when it has one ("Art. 284.1 — …")."""
    name = law.short_title or law.title
    if not law.number:
        return name
    number = f"Art. {law.number}" if law.kind == LawKind.ARTICLE else law.number
    return f"{number} — {name}"


class LawChoices(forms.models.ModelChoiceIterator):
    """The published laws, grouped by jurisdiction (countries by name, then laws of none),
    numbered laws by number and the rest by title inside each group: read once, when the
    select is drawn, in one query as a plain select would be."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups = {}
        for law in self.queryset:
            groups.setdefault(law.jurisdiction.code or "", []).append(law)
        named = sorted((code for code in groups if code), key=countries.name)
        for code in [*named, *([""] if "" in groups else [])]:
            laws = sorted(
                groups[code],
                key=lambda law: (not law.number, _number_key(law.number), law.title, law.pk),
            )
            label = countries.name(code) if code else _("No jurisdiction")
            yield (label, [(self.field.prepare_value(law), law_choice_label(law)) for law in laws])


class LawChoiceField(forms.ModelChoiceField):
    iterator = LawChoices


class LawChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = LawChoiceField


def published_law_filter(**kwargs):
    return LawChoiceFilter(
        label=_("Law"),
        queryset=Law.objects.published().only(
            "slug", "title", "short_title", "number", "kind", "jurisdiction"
        ),
        to_field_name="slug",
        widget=CachedOptionsSelect("laws", models=[Law]),
        **kwargs,
    )


class DateOrdering(django_filters.OrderingFilter):
    """`?sort=-date` (newest first, the default) or `?sort=date` (oldest first); undated rows last
    either way, then by id in the same direction, so that pages never repeat or skip a row.

    `fields` maps each sort key to an expression, the first being the default. An unknown key
    is ignored and reported like any invalid filter value (see SortedFilterSet).
    """

    def __init__(self, *args, fields, choices, **kwargs):
        self.expressions = fields
        kwargs.setdefault("label", _("Sort"))
        # A class: the CSV field of an OrderingFilter makes its widget from one.
        fragment = f"sort:{','.join(fields)}"
        kwargs.setdefault(
            "widget", type("SortSelect", (CachedOptionsSelect,), {"fragment": fragment})
        )
        super().__init__(*args, fields=list(fields), choices=choices, empty_label=None, **kwargs)

    def filter(self, qs, value):
        key = value[0] if value else f"-{next(iter(self.expressions))}"
        expression = self.expressions[key.lstrip("-")]
        if key.startswith("-"):
            return qs.order_by(expression.desc(nulls_last=True), F("id").desc())
        return qs.order_by(expression.asc(nulls_last=True), F("id").asc())


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a `q` text box handled by tracker.search."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text")

    def filter_text(self, queryset, name, value):
        return search.matching(queryset, search.clean_query(value))


class OrganisationFilter(SearchFilterSet):
    """Organisations by their own fields and by their public designations.

    `country` is where the organisation has its headquarters (often unknown: few sources
    state it); `designated_by` is the state that designated it, the jurisdiction of the law of
    a published designation. Designation criteria must hold for the same designation.
    """

    kind = choice_filter(_("Kind"), OrganisationKind)
    country = country_filter(_("Headquarters"))
    designated_by = country_filter(_("Designated by"), method="filter_designations")
    designation = choice_filter(_("Designation"), DesignationKind, method="filter_designations")
    law = published_law_filter(method="filter_designations")
    year = YearFilter(label=_("Year designated"), method="filter_designations")

    designation_lookups = {
        "designated_by": "law__jurisdiction",
        "designation": "kind",
        "law": "law",
        "year": "decision_date__year",
    }

    class Meta:
        model = Organisation
        fields = ["q", "kind", "country", "designated_by", "designation", "law", "year"]

    def filter_designations(self, queryset, name, value):
        # Applied once, for all designation fields together, in filter_queryset().
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        criteria = {
            lookup: data[name]
            for name, lookup in self.designation_lookups.items()
            if data.get(name) not in (None, "")
        }
        if criteria:
            designations = Designation.objects.published().filter(
                organisation=OuterRef("pk"), **criteria
            )
            queryset = queryset.filter(Exists(designations))
        return queryset


class LawFilter(SearchFilterSet):
    kind = choice_filter(_("Kind"), LawKind)
    jurisdiction = country_filter(_("Jurisdiction"))

    class Meta:
        model = Law
        fields = ["q", "kind", "jurisdiction"]


class CaseFilter(SearchFilterSet):
    law = published_law_filter(method="filter_law")
    status = choice_filter(_("Status"), CaseStatus)
    country = country_filter()
    year = YearFilter(label=_("Year of an event"), method="filter_year")
    # A text box, not a select: a select would list every published person on every page.
    # static/js/autocomplete.js offers names from the API as one types (data-autocomplete).
    person = django_filters.CharFilter(
        method="filter_person",
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name"),
                "autocomplete": "off",
                "data-autocomplete": "/api/people/",
            }
        ),
        label=_("Person"),
    )

    class Meta:
        model = Case
        fields = ["q", "law", "status", "country", "year", "person"]

    # IN (subquery) rather than EXISTS: the database starts from the few matching charges,
    # events or people (by their indexes) instead of testing each of 100,000 cases.
    def filter_law(self, queryset, name, value):
        return queryset.filter(pk__in=Charge.objects.filter(law=value).values("case_id"))

    def filter_year(self, queryset, name, value):
        cases = queryset.filter(pk__in=CaseEvent.objects.filter(date__year=value).values("case_id"))
        if connections[queryset.db].vendor == "postgresql":
            # Implied by the filter (a case's event dates are kept from its events), for the
            # planner: walking the cases by date, it would test every newer case for an event
            # in the year before reaching the year's (300 → 70 ms a page at 100,000 cases).
            # SQLite starts from the year's events anyway, and would only count slower.
            cases = cases.filter(
                first_event_date__lte=datetime.date(value, 12, 31),
                latest_event_date__gte=datetime.date(value, 1, 1),
            )
        return cases

    def filter_person(self, queryset, name, value):
        """Cases of the public people named `value` (see people_named)."""
        people = Case.people.through.objects.filter(person__in=people_named(value).values("pk"))
        return queryset.filter(pk__in=people.values("case_id"))


def people_named(value):
    """Public people whose name or an alias holds every word of `value`, in any script or case
    (through the search index's plain tokens), or whose slug is `value`: links cited before
    the filter took names (`?person=maria-bontsler`) still work."""
    people = Person.objects.published()
    words = search.text.tokens(value[: settings.SEARCH_MAX_LENGTH])
    if not words:
        return people.filter(slug=value.strip())
    entries = SearchEntry.objects.filter(kind=SearchKind.PERSON)
    for word in words:
        entries = entries.filter(names__contains=word)
    return people.filter(Q(slug=value.strip()) | Q(pk__in=entries.values("object_id")))


class PersonFilter(SearchFilterSet):
    role = choice_filter(_("Role"), PersonRole)
    country = country_filter()

    class Meta:
        model = Person
        fields = ["q", "role", "country"]


class SourceFilter(SearchFilterSet):
    kind = choice_filter(_("Kind"), SourceKind)
    reliability = choice_filter(_("Reliability"), Reliability)

    class Meta:
        model = Source
        fields = ["q", "kind", "reliability"]


class AsOfField(forms.DateField):
    """A day written YYYY-MM-DD, today or earlier: what was designated on that date."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {
        "invalid": _("Enter a date as YYYY-MM-DD, e.g. 2024-11-13."),
        "future": _("The date is in the future: nobody knows yet what will be designated then."),
    }

    def validate(self, value):
        super().validate(value)
        if value and value > timezone.now().date():
            raise forms.ValidationError(self.error_messages["future"], code="future")


class AsOfFilter(django_filters.DateFilter):
    field_class = AsOfField


def _first_of_month(day):
    return day.replace(day=1)


def started_by(name, day):
    """A Q: the partial date `name` certainly lies on or before `day`: its whole range does.

    A day counts from that day; a month ("November 2024") from its last day, a year from
    31 December; an approximate year ("c. 2024") may be off by a year, so from 31 December
    of the year after. Each is "stored first day < a threshold" computed here, so the
    database compares plain dates.
    """
    after = day + datetime.timedelta(days=1)
    precision = f"{name}_precision"
    return (
        Q(**{precision: DatePrecision.DAY, f"{name}__lte": day})
        | Q(**{precision: DatePrecision.MONTH, f"{name}__lt": _first_of_month(after)})
        | Q(**{precision: DatePrecision.YEAR, f"{name}__lt": datetime.date(after.year, 1, 1)})
        | Q(
            **{
                precision: DatePrecision.APPROXIMATE,
                f"{name}__lt": datetime.date(after.year - 1, 1, 1),
            }
        )
    )


def not_yet(name, day):
    """A Q: the partial date `name` certainly lies after `day`: its whole range does.

    Months and years are stored as their first day; an approximate year ("c. 2026") may be
    the year before, so it lies after `day` only from two years after `day`'s year.
    """
    precision = f"{name}_precision"
    return Q(~Q(**{precision: DatePrecision.APPROXIMATE}), **{f"{name}__gt": day}) | Q(
        **{precision: DatePrecision.APPROXIMATE, f"{name}__gte": datetime.date(day.year + 2, 1, 1)}
    )


def designated_on(day):
    """A Q: designations certainly in force on `day` (see DesignationFilter)."""
    started = Q(decision_date__isnull=False) & started_by("decision_date", day)
    registered = Q(decision_date__isnull=True, register_date__isnull=False) & started_by(
        "register_date", day
    )
    return (started | registered) & (Q(revoked_date__isnull=True) | not_yet("revoked_date", day))


class DesignationFilter(SearchFilterSet):
    """The designations list's filters (also the API's).

    - `country`: the designated organisation's country of headquarters;
      `jurisdiction`: the designating state, the jurisdiction of the law it was made under
      (a designation under no law has none).
    - `year`: of the decision, or of the register date when the decision is undated.
    - `as_of=YYYY-MM-DD`: designations *certainly* in force that day. One counts from its
      decision date (its register date when undated; never when it has neither) and stops
      from its revocation date. A partial date is a range: a decision known only to the month
      counts from the month's last day, so in its own month it is not yet listed; a year from
      31 December; "c. 2024" from the end of 2025. A revocation in the as_of month (or year)
      already stops it: it may have come first.
    """

    q = django_filters.CharFilter(label=_("Search organisations"), method="filter_text")
    type = choice_filter(_("Designation"), DesignationKind, field_name="kind")
    authority = django_filters.CharFilter(label=_("Authority"), lookup_expr="icontains")
    law = published_law_filter()
    country = country_filter(_("Organisation's headquarters"), field_name="organisation__country")
    designated_by = country_filter(_("Designated by"), field_name="law__jurisdiction")
    # The name `designated_by` had before; still taken (cited links), shown as designated_by.
    jurisdiction = country_filter(_("Designating state"), field_name="law__jurisdiction")
    year = YearFilter(label=_("Year"), method="filter_year")
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.published().only("slug", "name"),
        to_field_name="slug",
        field_name="organisation",
        widget=forms.TextInput(attrs={"placeholder": _("from /organisations/…/")}),
        label=_("Organisation"),
    )
    as_of = AsOfFilter(
        label=_("In force on"),
        method="filter_as_of",
        widget=forms.TextInput(attrs={"placeholder": _("YYYY-MM-DD")}),
    )

    class Meta:
        model = Designation
        fields = [
            "q",
            "type",
            "authority",
            "law",
            "country",
            "designated_by",
            "jurisdiction",
            "year",
            "organisation",
            "as_of",
        ]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("jurisdiction") and not data.get("designated_by"):
            data = data.copy()
            data["designated_by"] = data["jurisdiction"]  # a QueryDict gives the last value
            del data["jurisdiction"]
        super().__init__(data, *args, **kwargs)
        # One field for the designating state on the page: `jurisdiction` became designated_by.
        self.filters.pop("jurisdiction")

    def filter_text(self, queryset, name, value):
        organisations = search.matching(Organisation.objects.published(), search.clean_query(value))
        return queryset.filter(organisation__in=organisations.values("pk"))

    def filter_year(self, queryset, name, value):
        return queryset.filter(
            Q(decision_date__year=value) | Q(decision_date__isnull=True, register_date__year=value)
        )

    def filter_as_of(self, queryset, name, value):
        return queryset.filter(designated_on(value))


class CaseEventFilter(django_filters.FilterSet):
    """Case events by kind, case and year."""

    kind = choice_filter(_("Kind"), EventKind)
    case = django_filters.ModelChoiceFilter(
        queryset=Case.objects.published().only("slug", "title"),
        to_field_name="slug",
        widget=forms.TextInput(attrs={"placeholder": _("from /cases/…/")}),
        label=_("Case"),
    )
    year = YearFilter(label=_("Year"), field_name="date", lookup_expr="year")

    class Meta:
        model = CaseEvent
        fields = ["kind", "case", "year"]


class SortedFilterSet(django_filters.FilterSet):
    """A list page's FilterSet with a `sort` (a DateOrdering): ordered by its first key, newest
    first, unless a valid `sort` says otherwise; the exports follow the same order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The default order, replaced by a valid ?sort= (an invalid one is dropped, reported).
        self.queryset = self.filters["sort"].filter(self.queryset, None)


class CaseListFilter(SortedFilterSet, CaseFilter):
    """The case list's filters and sort: by the date of each case's latest event."""

    sort = DateOrdering(
        fields={"date": F("latest_event_date"), "title": F("title")},
        choices=[
            ("-date", _("Latest event, newest first")),
            ("date", _("Latest event, oldest first")),
            ("title", _("Title, A to Z")),
            ("-title", _("Title, Z to A")),
        ],
    )

    class Meta(CaseFilter.Meta):
        fields = [*CaseFilter.Meta.fields, "sort"]


class DesignationListFilter(SortedFilterSet, DesignationFilter):
    """The designation list's filters and sort: by the decision date, or the register date of
    a designation whose decision is undated (as the year filter and the list show it)."""

    sort = DateOrdering(
        fields={
            "date": designation_date(),
            "register": F("register_date"),
        },
        choices=[
            ("-date", _("Decision, newest first")),
            ("date", _("Decision, oldest first")),
            ("-register", _("Register date, newest first")),
            ("register", _("Register date, oldest first")),
        ],
    )

    class Meta(DesignationFilter.Meta):
        fields = [*DesignationFilter.Meta.fields, "sort"]
