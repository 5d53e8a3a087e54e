"""The filters of every public list, as django-filter FilterSets.

Filters on related rows use subqueries (EXISTS for a designation's law and
year, IN for a case's charges, events and people), so a record is never listed
twice and several conditions on designations must hold for the same designation.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django_countries import countries

from tracker import search
from tracker.choices import (
    CaseStatus,
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


def country_filter(label="Country"):
    return django_filters.ChoiceFilter(label=label, choices=lambda: list(countries))


def published_law_filter(**kwargs):
    return django_filters.ModelChoiceFilter(
        label="Law",
        queryset=Law.objects.published().only("slug", "title", "short_title"),
        to_field_name="slug",
        **kwargs,
    )


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a `q` text box handled by tracker.search."""

    q = django_filters.CharFilter(label="Search", method="filter_text")

    def filter_text(self, queryset, name, value):
        return search.matching(queryset, search.clean_query(value))


class OrganisationFilter(SearchFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    country = country_filter("Country of headquarters")
    designation = django_filters.ChoiceFilter(
        label="Designation", choices=DesignationKind.choices, method="filter_designations"
    )
    law = published_law_filter(method="filter_designations")
    year = YearFilter(label="Year designated", method="filter_designations")

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
    kind = django_filters.ChoiceFilter(choices=LawKind.choices)
    jurisdiction = country_filter("Jurisdiction")

    class Meta:
        model = Law
        fields = ["q", "kind", "jurisdiction"]


class CaseFilter(SearchFilterSet):
    law = published_law_filter(method="filter_law")
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    country = country_filter()
    year = YearFilter(label="Year of an event", method="filter_year")
    # A text box, not a select: a select would list every published person on every page.
    # It takes the last part of a person's page address (/people/<this>/).
    person = django_filters.ModelChoiceFilter(
        queryset=Person.objects.published().only("slug", "name"),
        to_field_name="slug",
        method="filter_person",
        widget=forms.TextInput(attrs={"placeholder": "from /people/…/"}),
        label="Person",
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
    role = django_filters.ChoiceFilter(choices=PersonRole.choices)
    country = country_filter()

    class Meta:
        model = Person
        fields = ["q", "role", "country"]


class SourceFilter(SearchFilterSet):
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    reliability = django_filters.ChoiceFilter(choices=Reliability.choices)

    class Meta:
        model = Source
        fields = ["q", "kind", "reliability"]


class DesignationFilter(django_filters.FilterSet):
    """Designations by type, law, organisation, organisation's country and year of decision."""

    q = django_filters.CharFilter(label="Search organisations", method="filter_text")
    kind = django_filters.ChoiceFilter(label="Designation", choices=DesignationKind.choices)
    law = published_law_filter()
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.published().only("slug", "name"),
        to_field_name="slug",
        widget=forms.TextInput(attrs={"placeholder": "from /organisations/…/"}),
        label="Organisation",
    )
    country = django_filters.ChoiceFilter(
        label="Organisation's country",
        choices=lambda: list(countries),
        field_name="organisation__country",
    )
    year = YearFilter(label="Year decided", field_name="decision_date", lookup_expr="year")

    class Meta:
        model = Designation
        fields = ["q", "kind", "law", "organisation", "country", "year"]

    def filter_text(self, queryset, name, value):
        organisations = search.matching(Organisation.objects.published(), search.clean_query(value))
        return queryset.filter(organisation__in=organisations.values("pk"))


class CaseEventFilter(django_filters.FilterSet):
    """Case events by kind, case and year."""

    kind = django_filters.ChoiceFilter(choices=EventKind.choices)
    case = django_filters.ModelChoiceFilter(
        queryset=Case.objects.published().only("slug", "title"),
        to_field_name="slug",
        widget=forms.TextInput(attrs={"placeholder": "from /cases/…/"}),
        label="Case",
    )
    year = YearFilter(label="Year", field_name="date", lookup_expr="year")

    class Meta:
        model = CaseEvent
        fields = ["kind", "case", "year"]
