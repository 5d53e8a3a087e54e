"""Public pages: home, lists with filters and exports, detail pages, search."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from tracker import charts, feeds, filters, home, search, shapes
from tracker.caching import cached_fragment, cached_values
from tracker.exports import EXPORTERS, export_filename
from tracker.footnotes import build_footnotes
from tracker.history import change_log, last_updated
from tracker.models import (
    Case,
    Charge,
    Citation,
    Designation,
    Law,
    Organisation,
    Person,
    Source,
)
from tracker.models.base import NAMED_LINK_FIELDS
from tracker.models.cases import CASE_LINK_FIELDS
from tracker.models.evidence import mark_evidence
from tracker.models.organisations import DESIGNATION_MARK_FIELDS
from tracker.models.public import is_public, owner_fields, public_dependencies
from tracker.pagination import CappedPaginator


@dataclass(frozen=True)
class ActiveFilter:
    """One filter a list applies, shown above the results as a removable chip."""

    name: str  # the query parameter
    label: str  # the filter's label, e.g. "Status"
    value: str  # what it is set to, as a reader would say it, e.g. "Convicted"
    remove_url: str  # the same list without this filter (and on its first page)
    ignored: bool = False  # the value is not valid, so the list does not apply it


def active_filters(filterset, params, path):
    """The filters set in `params` (a QueryDict without page and format), in the form's order.

    Values are named as a reader knows them: a choice's label, a country's name, a law's or
    an organisation's title. They come from the form's cleaned data, so a chip costs no query
    beyond the ones validating the form already ran. A value the form rejected keeps its
    chip, with the value as typed, so it can be removed like any other.
    """
    if not filterset.is_bound:
        return []
    form = filterset.form
    form.is_valid()  # cleans once; FilterView has already done so
    chips = []
    for name, field in form.fields.items():
        raw = [value for value in params.getlist(name) if value.strip()]
        if not raw:
            continue
        ignored = name in form.errors
        if ignored:
            value = ", ".join(raw)
        else:
            value = _value_label(field, form.cleaned_data.get(name))
            if value is None:
                continue
        rest = params.copy()
        rest.pop(name)
        query = rest.urlencode()
        chips.append(
            ActiveFilter(
                name=name,
                label=capfirst(str(field.label or name)),
                value=value,
                remove_url=f"{path}?{query}" if query else path,
                ignored=ignored,
            )
        )
    return chips


def _value_label(field, value):
    """A cleaned filter value as a reader would name it (None when it filters nothing)."""
    if value in (None, "", [], ()):
        return None
    if isinstance(value, Model):
        return str(value)
    choices = getattr(field, "choices", None)
    if choices is not None:
        # Flat choices (countries, TextChoices); a ModelChoiceField was handled above. Up to
        # the chosen one only: each label is translated as it is read (250 countries).
        value = str(value)
        return str(next((label for key, label in choices if str(key) == value), value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class PublicListView(FilterView):
    """A filtered, paginated list that also exports what it shows (`?format=`).

    Invalid filter values are ignored and reported on the page (strict=False);
    a bad or out-of-range page number shows the nearest real page. Counts stop
    at LIST_COUNT_CAP (see CappedPaginator). An unknown format is ignored and reported
    like a bad filter value: the page is shown.
    """

    strict = False
    paginate_by = settings.PAGE_SIZE
    paginator_class = CappedPaginator
    export_name = ""
    shape = None  # the record type's shape in tracker.shapes
    feed = None  # feed(request, filtered queryset, page URL): the Atom feed of what is listed
    default_format = None  # "atom" serves the list's feed at a URL of its own
    # Numbers shown beside each row, set on the rows of a page: {attribute: (the model whose
    # public rows are counted, count(ids) -> {id: number})}. Counted for the page's rows at
    # once and kept per row and data version (`cached_values`): the same row on another page,
    # sort or filter costs nothing. A correlated count in the list's own query was computed
    # for every row a page skips too (PostgreSQL, 100,000 cases: 21 ms of execution for page
    # 20 of the sources, 3 ms without).
    row_counts = {}

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format") or self.default_format
        if export_format in EXPORTERS or (export_format == "atom" and self.feed):
            # The records come from the shape's queryset (with all it shows), filtered and
            # ordered as on the page.
            filterset_class = self.get_filterset_class()
            self.filterset = filterset_class(
                request.GET or None, queryset=self.shape.queryset(), request=request
            )
            if export_format == "atom":
                return self.feed(request, self.filterset.qs, self.page_url(request))
            filename = export_filename(self.export_name, self.filterset)
            return EXPORTERS[export_format](request, self.filterset.qs, self.shape, filename)
        return super().get(request, *args, **kwargs)

    def page_url(self, request):
        """The absolute address of the list with the same filters (no format, no page)."""
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("format", None)
        path = reverse(request.resolver_match.view_name.replace("-feed", "-list"))
        query = params.urlencode()
        return request.build_absolute_uri(f"{path}?{query}" if query else path)

    def get_paginator(self, queryset, per_page, **kwargs):
        # The same list with the same filters has the same count on every page, in any order.
        params = self.request.GET.copy()
        for name in (self.page_kwarg, "format", "sort"):
            params.pop(name, None)
        key = f"{self.request.resolver_match.view_name}?{params.urlencode()}"
        return super().get_paginator(queryset, per_page, count_key=key, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        if self.row_counts:
            page.object_list = rows = list(page.object_list)
            for name, (model, count) in self.row_counts.items():
                counts = cached_values(
                    f"{queryset.model._meta.model_name}-{name}",
                    [row.pk for row in rows],
                    public_dependencies(model),
                    count,
                    default=0,
                    by_keys=True,  # numbers of rows: an edit of a text leaves them
                )
                for row in rows:
                    setattr(row, name, counts[row.pk])
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        export_format = params.pop("format", [None])[-1]
        context["query_string"] = params.urlencode()
        context["has_feed"] = self.feed is not None
        errors = dict(self.filterset.form.errors) if self.filterset.is_bound else {}
        if export_format and export_format not in EXPORTERS:
            choices = [*EXPORTERS, *(["atom"] if self.feed else [])]
            errors["format"] = [
                _("Unknown format; this list exports as %(formats)s.")
                % {"formats": ", ".join(choices)}
            ]
        context["filter_errors"] = errors
        context["active_filters"] = active_filters(self.filterset, params, self.request.path)
        return context


class OrganisationListView(PublicListView):
    queryset = Organisation.objects.for_list()
    filterset_class = filters.OrganisationFilter
    template_name = "tracker/organisation_list.html"
    export_name = "organisations"
    shape = shapes.OrganisationShape


class DesignationListView(PublicListView):
    """Every published designation, with the filters of DesignationFilter and its feed."""

    queryset = Designation.objects.for_list()
    filterset_class = filters.DesignationListFilter
    template_name = "tracker/designation_list.html"
    export_name = "designations"
    shape = shapes.DesignationShape
    feed = staticmethod(feeds.designation_feed)

    def paginate_queryset(self, queryset, page_size):
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = mark_evidence(rows)  # the page's rows only
        return paginator, page, page.object_list, is_paginated


class LawListView(PublicListView):
    queryset = Law.objects.for_list()
    filterset_class = filters.LawFilter
    template_name = "tracker/law_list.html"
    export_name = "laws"
    shape = shapes.LawShape
    row_counts = {
        "designation_count": (Designation, Law.objects.designation_counts),
        "case_count": (Charge, Law.objects.case_counts),
    }


class CaseListView(PublicListView):
    """Cases; their feed (`?format=atom`) gives the events of the cases the filters select."""

    queryset = Case.objects.for_list()
    filterset_class = filters.CaseListFilter
    template_name = "tracker/case_list.html"
    export_name = "cases"
    shape = shapes.CaseShape
    feed = staticmethod(feeds.case_event_feed)


class PersonListView(PublicListView):
    queryset = Person.objects.for_list()
    filterset_class = filters.PersonFilter
    template_name = "tracker/person_list.html"
    export_name = "people"
    shape = shapes.PersonShape


class SourceListView(PublicListView):
    queryset = Source.objects.for_list()
    filterset_class = filters.SourceFilter
    template_name = "tracker/source_list.html"
    export_name = "sources"
    shape = shapes.SourceShape
    row_counts = {"citation_count": (Citation, Source.objects.citation_counts)}


class RecordDetailView(DetailView):
    """A public record's page, with its change log (what changed and when; never who) and its
    sources as numbered footnotes (tracker.footnotes)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["change_log"] = change_log(self.object)
        context["last_updated"] = last_updated(self.object, context["change_log"])
        context["footnotes"] = build_footnotes(self.cited_facts(self.object))
        return context

    def cited_facts(self, record):
        """(anchor, record) for every fact with citations, in the order the page shows them."""
        return [("record", record)]


class OrganisationDetailView(RecordDetailView):
    queryset = Organisation.objects.for_detail()
    template_name = "tracker/organisation_detail.html"

    def cited_facts(self, organisation):
        return [
            ("record", organisation),
            *((f"designation-{d.pk}", d) for d in organisation.public_designations),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["designation_timeline"] = charts.organisation_timeline(self.object)
        return context


def _first(queryset):
    """The first DETAIL_LIST_SIZE rows, and whether there are more (one query, no COUNT)."""
    size = settings.DETAIL_LIST_SIZE
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


class LawDetailView(RecordDetailView):
    queryset = Law.objects.for_detail()
    template_name = "tracker/law_detail.html"

    def cited_facts(self, law):
        return [
            ("record", law),
            *((f"penalty-{p.pk}", p) for p in law.penalties.all()),
            *((f"amendment-{a.pk}", a) for a in law.amendments.all()),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        law = self.object
        designations = (
            Designation.objects.published_with_evidence()
            .filter(law=law)
            .select_related("organisation")
            # What each row shows: the organisation (named and linked), kind, date, evidence.
            .only(
                *DESIGNATION_MARK_FIELDS,
                *(f"organisation__{name}" for name in NAMED_LINK_FIELDS),
            )
        )
        # From the law's charges (its index) to their cases, each looked up by primary key:
        # an EXISTS per case would test every published case.
        cases = (
            Case.objects.published()
            .filter(pk__in=Charge.objects.filter(law=law).values("case_id"))
            .only(*CASE_LINK_FIELDS)  # a link and a status each
        )
        # The newest few of each; the filtered lists page through the rest.
        context["designations"], context["more_designations"] = _first(designations)
        context["cases"], context["more_cases"] = _first(cases)
        # The chart counts rows by year and shows no text of theirs: kept, per law, by the
        # versions of its tables' keys (an edit of a case's summary leaves it).
        context["law_chart"] = cached_fragment(
            f"law-chart-{law.pk}",
            [Designation, Case],
            lambda: render_to_string(
                "includes/charts/law.html",
                {"law_chart": charts.law_chart(designations, cases)},
            ),
            by_keys=True,
        )
        return context


class CaseDetailView(RecordDetailView):
    queryset = Case.objects.for_detail()
    template_name = "tracker/case_detail.html"

    def cited_facts(self, case):
        return [("record", case), *((f"event-{e.pk}", e) for e in case.events.all())]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["case_timeline"] = charts.case_timeline(self.object)
        return context


class PersonDetailView(RecordDetailView):
    queryset = Person.objects.for_detail()
    template_name = "tracker/person_detail.html"


# The kinds of record a source can be cited by, as the source's page names them
# (`{% translate citation.content_type.name context "record kind" %}`): the models'
# verbose names, listed here so that makemessages collects them.
CITED_KINDS = (
    pgettext_lazy("record kind", "organisation"),
    pgettext_lazy("record kind", "designation"),
    pgettext_lazy("record kind", "law"),
    pgettext_lazy("record kind", "law amendment"),
    pgettext_lazy("record kind", "penalty"),
    pgettext_lazy("record kind", "case"),
    pgettext_lazy("record kind", "case event"),
    pgettext_lazy("record kind", "person"),
)


class SourceDetailView(RecordDetailView):
    """A public source (one that a public record cites), with every public record citing it."""

    model = Source
    template_name = "tracker/source_detail.html"

    def get_object(self, queryset=None):
        """The source by its key, then the visibility rule evaluated on it (`is_public`): the
        same rule as `published()`, whose condition for sources (a public citation cites it)
        costs more to build than the two short queries it takes here at most."""
        source = get_object_or_404(Source, pk=self.kwargs["pk"])
        if not is_public(source):
            raise Http404
        return source

    def cited_facts(self, source):
        return []  # a source is what footnotes point at; it cites nothing itself

    def get_context_data(self, **kwargs):
        """Pair each public citation with its record: one query per kind of record.

        A citation is public when the record it cites is, so the citations are filtered once,
        by loading only the public records they cite (not also by `Citation.published()`)."""
        context = super().get_context_data(**kwargs)
        citations = list(Citation.objects.filter(source=self.object).select_related("content_type"))
        ids_by_model = {}
        for citation in citations:
            model = citation.content_type.model_class()
            ids_by_model.setdefault(model, set()).add(citation.object_id)
        records = {}
        for model, ids in ids_by_model.items():
            # Each record is named and linked through the records it belongs to or shows.
            owners = [name for name in owner_fields(model) if model._meta.get_field(name).concrete]
            for record in model.objects.published().select_related(*owners).filter(pk__in=ids):
                records[model, record.pk] = record
        context["cited_by"] = [
            (citation, records[key])
            for citation in citations
            if (key := (citation.content_type.model_class(), citation.object_id)) in records
        ]
        return context


class HomeView(TemplateView):
    """The record in numbers, the latest records and two charts: parts cached per version of
    what each shows (tracker.home)."""

    template_name = "tracker/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(numbers=home.numbers(), latest=home.latest(), charts=home.pictures())
        return context


class SearchView(TemplateView):
    """One search over organisations, laws, cases and people: ranked, grouped, highlighted."""

    template_name = "tracker/search.html"
    per_group = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = search.clean_query(self.request.GET.get("q", ""))
        groups = search.find(query, self.per_group) if query.terms else []
        total = sum(group.count for group in groups)
        context.update(
            query=query,
            results=groups,
            total=total,
            capped=any(group.capped for group in groups),
            count_cap=search.COUNT_CAP,
            suggestions=search.suggest(query) if query.terms and not total else [],
        )
        return context
