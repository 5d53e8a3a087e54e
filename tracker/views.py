"""Public pages: home, lists with filters and exports, detail pages, search."""

import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import ExtractYear
from django.utils.feedgenerator import Atom1Feed
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from tracker import filters, search
from tracker.exports import EXPORTERS
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


def _join(items):
    return "; ".join(str(item) for item in items)


class PublicListView(FilterView):
    """A filtered, paginated list that also exports what it shows as CSV or JSON.

    Invalid filter values are ignored and reported on the page (strict=False);
    a bad or out-of-range page number shows the nearest real page. Counts stop
    at LIST_COUNT_CAP (see CappedPaginator).
    """

    strict = False
    paginate_by = settings.PAGE_SIZE
    paginator_class = CappedPaginator
    export_name = ""
    export_columns = ()

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in EXPORTERS:
            self.filterset = self.get_filterset(self.get_filterset_class())
            exporter = EXPORTERS[export_format]
            return exporter(
                self.filterset.qs, list(self.export_columns), self.export_row, self.export_name
            )
        return super().get(request, *args, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def export_row(self, obj):
        raise NotImplementedError

    def absolute(self, obj):
        return self.request.build_absolute_uri(obj.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("format", None)
        context["query_string"] = params.urlencode()
        context["filter_errors"] = self.filterset.form.errors if self.filterset.is_bound else {}
        return context


class OrganisationListView(PublicListView):
    queryset = Organisation.objects.for_list()
    filterset_class = filters.OrganisationFilter
    template_name = "tracker/organisation_list.html"
    export_name = "organisations"
    export_columns = ("name", "short_name", "aliases", "kind", "country", "designations", "url")

    def export_row(self, obj):
        return {
            "name": obj.name,
            "short_name": obj.short_name,
            "aliases": _join(obj.aliases.all()),
            "kind": obj.get_kind_display(),
            "country": obj.country.name,
            "designations": _join(
                f"{d.get_kind_display()} ({d.date_display})" for d in obj.public_designations
            ),
            "url": self.absolute(obj),
        }


class LawListView(PublicListView):
    queryset = Law.objects.for_list()
    filterset_class = filters.LawFilter
    template_name = "tracker/law_list.html"
    export_name = "laws"
    export_columns = (
        "title",
        "short_title",
        "number",
        "kind",
        "jurisdiction",
        "adopted",
        "designations",
        "cases",
        "url",
    )

    def export_row(self, obj):
        return {
            "title": obj.title,
            "short_title": obj.short_title,
            "number": obj.number,
            "kind": obj.get_kind_display(),
            "jurisdiction": obj.jurisdiction.name,
            "adopted": obj.adopted_display if obj.adopted_date else "",
            "designations": obj.designation_count,
            "cases": obj.case_count,
            "url": self.absolute(obj),
        }


class CaseListView(PublicListView):
    queryset = Case.objects.for_list()
    filterset_class = filters.CaseFilter
    template_name = "tracker/case_list.html"
    export_name = "cases"
    export_columns = ("title", "status", "country", "people", "charges", "sentence", "court", "url")

    def export_row(self, obj):
        return {
            "title": obj.title,
            "status": obj.get_status_display(),
            "country": obj.country.name,
            "people": _join(obj.public_people),
            "charges": _join(obj.charges.all()),
            "sentence": obj.sentence,
            "court": obj.court,
            "url": self.absolute(obj),
        }


class PersonListView(PublicListView):
    queryset = Person.objects.for_list()
    filterset_class = filters.PersonFilter
    template_name = "tracker/person_list.html"
    export_name = "people"
    export_columns = ("name", "aliases", "role", "country", "url")

    def export_row(self, obj):
        return {
            "name": obj.name,
            "aliases": _join(obj.aliases.all()),
            "role": obj.get_role_display(),
            "country": obj.country.name,
            "url": self.absolute(obj),
        }


class SourceListView(PublicListView):
    queryset = Source.objects.for_list()
    filterset_class = filters.SourceFilter
    template_name = "tracker/source_list.html"
    export_name = "sources"
    export_columns = (
        "title",
        "source_url",
        "publisher",
        "published",
        "kind",
        "reliability",
        "citations",
        "url",
    )

    def export_row(self, obj):
        return {
            "title": obj.title,
            "source_url": obj.url,
            "publisher": obj.publisher,
            "published": obj.published_display if obj.published_date else "",
            "kind": obj.get_kind_display(),
            "reliability": obj.get_reliability_display(),
            "citations": obj.citation_count,
            "url": self.absolute(obj),
        }


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


class DesignationFeed(Feed):
    """Atom feed of published designations, newest decision first."""

    feed_type = Atom1Feed
    title = "Repression Tracker: new designations"
    subtitle = "Organisations declared undesirable, foreign agents and the like, with sources."

    def link(self):
        return "/organisations/"

    def items(self):
        return Designation.objects.for_list()[:50]

    def item_title(self, item):
        return f"{item.organisation.name}: {item.get_kind_display()}"

    def item_description(self, item):
        parts = [f"{item.get_kind_display()}, {item.date_display}"]
        if item.authority:
            parts.append(f"by {item.authority}")
        if item.law:
            parts.append(f"under {item.law}")
        return " ".join(parts) + "."

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        if item.decision_date:
            return datetime.datetime.combine(
                item.decision_date, datetime.time(), tzinfo=datetime.UTC
            )
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at
