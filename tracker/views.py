"""Public pages: home, lists with filters and exports, detail pages, search."""

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from tracker import feeds, filters, search, shapes
from tracker.exports import EXPORTERS, export_filename
from tracker.history import change_log
from tracker.models import (
    Case,
    CaseEvent,
    Charge,
    Citation,
    Designation,
    Law,
    Organisation,
    Person,
    Source,
)
from tracker.models.public import owner_fields
from tracker.pagination import CappedPaginator


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

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
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
    filterset_class = filters.DesignationFilter
    template_name = "tracker/designation_list.html"
    export_name = "designations"
    shape = shapes.DesignationShape
    feed = staticmethod(feeds.designation_feed)


class LawListView(PublicListView):
    queryset = Law.objects.for_list()
    filterset_class = filters.LawFilter
    template_name = "tracker/law_list.html"
    export_name = "laws"
    shape = shapes.LawShape


class CaseListView(PublicListView):
    """Cases; their feed (`?format=atom`) gives the events of the cases the filters select."""

    queryset = Case.objects.for_list()
    filterset_class = filters.CaseFilter
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


class RecordDetailView(DetailView):
    """A public record's page, with its change log (what changed and when; never who)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["change_log"] = change_log(self.object)
        return context


class OrganisationDetailView(RecordDetailView):
    queryset = Organisation.objects.for_detail()
    template_name = "tracker/organisation_detail.html"


def _first(queryset):
    """The first DETAIL_LIST_SIZE rows, and whether there are more (one query, no COUNT)."""
    size = settings.DETAIL_LIST_SIZE
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


class LawDetailView(RecordDetailView):
    queryset = Law.objects.for_detail()
    template_name = "tracker/law_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        law = self.object
        designations = Designation.objects.for_list().filter(law=law)
        cases = Case.objects.published().filter(
            Exists(Charge.objects.filter(case=OuterRef("pk"), law=law))
        )
        # The newest few of each; the filtered lists page through the rest.
        context["designations"], context["more_designations"] = _first(designations)
        context["cases"], context["more_cases"] = _first(cases)
        return context


class CaseDetailView(RecordDetailView):
    queryset = Case.objects.for_detail()
    template_name = "tracker/case_detail.html"


class PersonDetailView(RecordDetailView):
    queryset = Person.objects.for_detail()
    template_name = "tracker/person_detail.html"


class SourceDetailView(RecordDetailView):
    """A public source (one that a public record cites), with every public record citing it."""

    queryset = Source.objects.published()
    template_name = "tracker/source_detail.html"

    def get_context_data(self, **kwargs):
        """Pair each public citation with its record: one query per kind of record."""
        context = super().get_context_data(**kwargs)
        citations = list(
            Citation.objects.published().filter(source=self.object).select_related("content_type")
        )
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
    template_name = "tracker/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        designations = Designation.objects.published()
        context["counts"] = {
            "organisations": Organisation.objects.published().count(),
            "designations": designations.count(),
            "laws": Law.objects.published().count(),
            "cases": Case.objects.published().count(),
            "people": Person.objects.published().count(),
            "sources": Source.objects.published().count(),
        }
        context["latest_designations"] = Designation.objects.for_list()[:8]
        # EXISTS rather than a join on the case's state, so the (date, id) index drives.
        context["latest_events"] = (
            CaseEvent.objects.published()
            .filter(date__isnull=False)
            .select_related("case")
            .order_by("-date", "-id")[:8]
        )
        timeline = list(
            designations.filter(decision_date__isnull=False)
            .annotate(year=ExtractYear("decision_date"))
            .values("year")
            .annotate(count=Count("id"))
            .order_by("year")
        )
        context["timeline"] = timeline
        context["timeline_max"] = max((row["count"] for row in timeline), default=0)
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
