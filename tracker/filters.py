"""The filters of every public list, as django-filter FilterSets.

Filters on related rows use subqueries (EXISTS for a designation's law and
year, IN for a case's charges, events and people), so a record is never listed
twice and several conditions on designations must hold for the same designation.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from tracker import search
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


class YearFilter(django_filters.NumberFilter):
    """A four-digit year; anything else is reported and ignored."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


def country_filter(label=None, **kwargs):
    return django_filters.ChoiceFilter(
        label=label or _("Country"), choices=lambda: list(countries), **kwargs
    )


def published_law_filter(**kwargs):
    return django_filters.ModelChoiceFilter(
        label=_("Law"),
        queryset=Law.objects.published().only("slug", "title", "short_title"),
        to_field_name="slug",
        **kwargs,
    )


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a `q` text box handled by tracker.search."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text")

    def filter_text(self, queryset, name, value):
        return search.matching(queryset, search.clean_query(value))


class OrganisationFilter(SearchFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OrganisationKind.choices)
    country = country_filter(_("Country of headquarters"))
    designation = django_filters.ChoiceFilter(
        label=_("Designation"), choices=DesignationKind.choices, method="filter_designations"
    )
    law = published_law_filter(method="filter_designations")
    year = YearFilter(label=_("Year designated"), method="filter_designations")

    designation_lookups = {
        "designation": "kind",
        "law": "law",
        "year": "decision_date__year",
    }

    class Meta:
        model = Organisation
        fields = ["q", "kind", "country", "designation", "law", "year"]

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
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=LawKind.choices)
    jurisdiction = country_filter(_("Jurisdiction"))

    class Meta:
        model = Law
        fields = ["q", "kind", "jurisdiction"]


class CaseFilter(SearchFilterSet):
    law = published_law_filter(method="filter_law")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CaseStatus.choices)
    country = country_filter()
    year = YearFilter(label=_("Year of an event"), method="filter_year")
    # A text box, not a select: a select would list every published person on every page.
    # It takes the last part of a person's page address (/people/<this>/).
    person = django_filters.ModelChoiceFilter(
        queryset=Person.objects.published().only("slug", "name"),
        to_field_name="slug",
        method="filter_person",
        widget=forms.TextInput(attrs={"placeholder": _("from /people/…/")}),
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
        return queryset.filter(pk__in=CaseEvent.objects.filter(date__year=value).values("case_id"))

    def filter_person(self, queryset, name, value):
        people = Case.people.through.objects.filter(person=value)
        return queryset.filter(pk__in=people.values("case_id"))


class PersonFilter(SearchFilterSet):
    role = django_filters.ChoiceFilter(label=_("Role"), choices=PersonRole.choices)
    country = country_filter()

    class Meta:
        model = Person
        fields = ["q", "role", "country"]


class SourceFilter(SearchFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=SourceKind.choices)
    reliability = django_filters.ChoiceFilter(label=_("Reliability"), choices=Reliability.choices)

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
    type = django_filters.ChoiceFilter(
        label=_("Designation"), field_name="kind", choices=DesignationKind.choices
    )
    authority = django_filters.CharFilter(label=_("Authority"), lookup_expr="icontains")
    law = published_law_filter()
    country = country_filter(_("Organisation's country"), field_name="organisation__country")
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
            "jurisdiction",
            "year",
            "organisation",
            "as_of",
        ]

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

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=EventKind.choices)
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
