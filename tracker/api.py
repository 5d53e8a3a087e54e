"""The read-only JSON API under /api/ (Django REST framework).

Every record in its public shape (tracker/shapes.py), filtered by the very FilterSets of the
HTML lists (tracker/filters.py), paged by cursor (keyset on the id: no COUNT, nothing
repeated or skipped while records are added), throttled per address, described by OpenAPI 3
(drf-spectacular) at /api/schema/ and by a page of its own at /api/.

The HTML lists ignore a bad filter value and say so on the page; the API refuses it (400,
naming the parameter), since a script would otherwise get everything without noticing.
"""

import logging
import re

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.http import Http404
from django.urls import path, re_path
from django.views.generic import TemplateView
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import api_view, schema, throttle_classes
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from tracker import filters, search, shapes
from tracker.models.search import SearchKind
from tracker.sites import client_ip

logger = logging.getLogger(__name__)

CURSOR = "cursor"
PAGE_SIZE = "page_size"
FORMAT = "format"  # ?format=json, as the site's lists take it; JSON is the only one
ID = re.compile("[0-9]{1,18}")  # as the site's URLs take ids (tracker.public_urls.IdConverter)
BAD_CURSOR = object()


class Cursor(CursorPagination):
    """Keyset pagination in id order: `next` and `previous` links, never a COUNT.

    A page size over API_MAX_PAGE_SIZE is cut to it; one that is not a positive whole number,
    or a cursor this site did not write, is refused (400).
    """

    ordering = ("id",)
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = PAGE_SIZE
    page_size_query_description = (
        f"Records per page, 1 to {settings.API_MAX_PAGE_SIZE} (default {settings.API_PAGE_SIZE})."
    )
    max_page_size = settings.API_MAX_PAGE_SIZE
    cursor_query_description = "Where the page starts: copy it from a `next` or `previous` link."

    def get_page_size(self, request):
        value = request.query_params.get(PAGE_SIZE)
        if value is None:
            return self.page_size
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise exceptions.ValidationError(
                {PAGE_SIZE: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(value), self.max_page_size)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:  # DRF's answer to a cursor it cannot read
            cursor = BAD_CURSOR
        # The position is an id: anything else would reach the database as a bad value.
        if cursor is BAD_CURSOR or (cursor and not ID.fullmatch(cursor.position or "0")):
            raise exceptions.ValidationError(
                {CURSOR: ["Not a cursor: copy it from a `next` or `previous` link."]}
            )
        return cursor


class AddressThrottle(AnonRateThrottle):
    """API_RATE_LIMIT requests per client address (behind PROXY_COUNT proxies, the address the
    outermost one saw), counted in the "throttle" cache: shared through Redis when REDIS_URL
    is set, else per worker."""

    def get_rate(self):
        return settings.API_RATE_LIMIT  # read per request, so that tests can change it

    @property
    def cache(self):
        return caches[settings.API_THROTTLE_CACHE]

    def get_ident(self, request):
        return client_ip(request) or ""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            # The cache (Redis) is unreachable: serve the request rather than fail it; the
            # limit is a courtesy, the data is public.
            logger.exception("API rate limit not applied: the throttle cache failed")
            return True


def exception_handler(exc, context):
    """DRF's JSON errors, with bad parameters named: {"detail": "…", "errors": {name: [why]}}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        names = ", ".join(sorted(response.data))
        errors = {name: _messages(value) for name, value in response.data.items()}
        response.data = {"detail": f"Invalid parameter: {names}.", "errors": errors}
    if isinstance(exc, exceptions.Throttled):
        response.data = {
            "detail": f"Too many requests from this address: {settings.API_RATE_LIMIT} at most. "
            f"Try again in {exc.wait:.0f} seconds, or use the bulk data files."
        }
    return response


def _messages(value, where=""):
    """A parameter's errors as a flat list of sentences: an item of a list names its place."""
    if isinstance(value, dict):  # errors of a list's items, by index
        return [
            message
            for key, errors in value.items()
            for message in _messages(errors, f"item {int(key) + 1}: " if str(key).isdigit() else "")
        ]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item, where)]
    return [f"{where}{value}"]


class ErrorShape(serializers.Serializer):
    """What every error answers: why, and for bad parameters which ones."""

    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class Schema(AutoSchema):
    """drf-spectacular's schema, with the error answers every operation can give."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {"429": "Too many requests from this address (see Retry-After)."}
        if self._is_list_view():
            errors["400"] = "A parameter is invalid; `errors` names it."
        elif self.method == "GET":
            errors["404"] = "No public record has this id."
        for code, description in errors.items():
            responses[code] = {
                **self._get_response_for_code(ErrorShape, code, direction=direction),
                "description": description,
            }
        return responses


class StrictFilters(DjangoFilterBackend):
    """The list's FilterSet, refusing invalid values (400) and unknown parameters (a typo
    would otherwise return everything)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = {CURSOR, PAGE_SIZE, FORMAT}
        known.update(filterset_class.base_filters if filterset_class else ())
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            message = f"Unknown parameter; use one of: {', '.join(sorted(known))}."
            raise exceptions.ValidationError({name: [message] for name in unknown})
        return super().filter_queryset(request, queryset, view)


class RecordViewSet(viewsets.ReadOnlyModelViewSet):
    """A public record type: its list (filtered, by cursor) and its records by id (or slug)."""

    shape = None
    filter_backends = [StrictFilters]
    pagination_class = Cursor
    throttle_classes = [AddressThrottle]
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9]{1,18}"
    schema = Schema()

    def get_serializer_class(self):
        return self.shape

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to ?format=csv: a bad parameter rather
            raise exceptions.ValidationError(
                {FORMAT: ["The API answers in JSON only: format=json, or leave it out."]}
            ) from None

    def get_queryset(self):
        return self.shape.queryset()

    def get_object(self):
        """The public record with this id, or this slug; filters do not apply to it."""
        value = self.kwargs[self.lookup_url_kwarg]
        queryset = self.get_queryset()
        record = queryset.filter(pk=int(value)).first() if ID.fullmatch(value) else None
        if record is None and self.has_slug():
            record = queryset.filter(slug=value).first()
        if record is None:
            # The address is not repeated back: it may name a record that is not public.
            raise exceptions.NotFound(
                f"No public {self.shape.Meta.model._meta.verbose_name} has this id."
            )
        return record

    @classmethod
    def has_slug(cls):
        return any(field.name == "slug" for field in cls.shape.Meta.model._meta.fields)


SLUG = "[0-9]{1,18}|[-a-zA-Z0-9_]{1,120}"


def by_slug(viewset):
    """Records also found by slug at /api/<type>/<slug>/ (the last part of their page's
    address); all digits means an id first."""
    viewset.lookup_value_regex = SLUG
    parameter = OpenApiParameter(
        "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The record's id or slug."
    )
    return extend_schema_view(retrieve=extend_schema(parameters=[parameter]))(viewset)


@by_slug
class OrganisationViewSet(RecordViewSet):
    """Organisations declared "undesirable", "foreign agents" and the like, with their
    designations."""

    shape = shapes.OrganisationShape
    filterset_class = filters.OrganisationFilter


class DesignationViewSet(RecordViewSet):
    """Designations: who was declared what, under which law, by whom and when."""

    shape = shapes.DesignationShape
    filterset_class = filters.DesignationFilter


@by_slug
class LawViewSet(RecordViewSet):
    """Laws and code articles, with amendments and penalties."""

    shape = shapes.LawShape
    filterset_class = filters.LawFilter


@by_slug
class CaseViewSet(RecordViewSet):
    """Cases, with their people, organisations, charges and events."""

    shape = shapes.CaseShape
    filterset_class = filters.CaseFilter


@by_slug
class PersonViewSet(RecordViewSet):
    """People at the centre of cases."""

    shape = shapes.PersonShape
    filterset_class = filters.PersonFilter


class SourceViewSet(RecordViewSet):
    """Every public source, with its reliability grade."""

    shape = shapes.SourceShape
    filterset_class = filters.SourceFilter


class CaseEventViewSet(RecordViewSet):
    """Dated steps of cases: arrests, searches, hearings, verdicts, releases."""

    shape = shapes.CaseEventShape
    filterset_class = filters.CaseEventFilter


# What drf-spectacular cannot tell from the model: filters that take a slug, or a day.
for _viewset in RecordViewSet.__subclasses__():
    for _filter in _viewset.filterset_class.base_filters.values():
        if "queryset" in _filter.extra:
            extend_schema_field({"type": "string", "description": "A slug."})(_filter)
        elif issubclass(_filter.field_class, forms.DateField):
            extend_schema_field({"type": "string", "format": "date"})(_filter)
        elif _filter.method and callable(_filter.extra.get("choices")):  # designated_by
            extend_schema_field({"type": "string", "description": "An ISO 3166 country code."})(
                _filter
            )

# (path, view set, record type), in the order the API page lists them.
ENDPOINTS = [
    ("organisations", OrganisationViewSet, "organisation"),
    ("designations", DesignationViewSet, "designation"),
    ("laws", LawViewSet, "law"),
    ("cases", CaseViewSet, "case"),
    ("people", PersonViewSet, "person"),
    ("sources", SourceViewSet, "source"),
    ("case-events", CaseEventViewSet, "case-event"),
]

router = SimpleRouter()
for prefix, viewset, basename in ENDPOINTS:
    router.register(prefix, viewset, basename=f"api-{basename}")


# Reconciliation: names from elsewhere → the public records they most likely mean.
MATCH_TYPES = [SearchKind.ORGANISATION, SearchKind.PERSON, SearchKind.LAW, SearchKind.CASE]
MATCH_MAX_NAMES = 100
MATCH_MAX_LIMIT = 10


class MatchRequest(serializers.Serializer):
    names = serializers.ListField(
        child=serializers.CharField(max_length=settings.SEARCH_MAX_LENGTH),
        min_length=1,
        max_length=MATCH_MAX_NAMES,
        help_text="Names as written anywhere, in any script or spelling.",
    )
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=[str(kind) for kind in MATCH_TYPES]),
        min_length=1,
        default=[str(SearchKind.ORGANISATION), str(SearchKind.PERSON)],
        help_text="The record types to match against.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MATCH_MAX_LIMIT, default=3, help_text="Matches per name."
    )


class MatchShape(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()
    score = serializers.FloatField(help_text="1 for the same name once normalised; 0 to 1.")
    matched = serializers.CharField(help_text="The record's name or alias the score is for.")


class MatchResultShape(serializers.Serializer):
    query = serializers.CharField()
    matches = MatchShape(many=True)


class MatchResponseShape(serializers.Serializer):
    results = MatchResultShape(many=True)


class MatchView(APIView):
    """Reconciliation: which public organisations, people, laws or cases a list of names most
    likely means, with scores, by the site search's own normalisation (any script, accents,
    acronyms, aliases, close spellings)."""

    parser_classes = [JSONParser]
    throttle_classes = [AddressThrottle]

    @extend_schema(
        request=MatchRequest,
        responses={
            200: MatchResponseShape,
            400: ErrorShape,
            415: ErrorShape,
            429: ErrorShape,
        },
    )
    def post(self, request):
        wanted = MatchRequest(data=request.data)
        wanted.is_valid(raise_exception=True)
        kinds = [SearchKind(kind) for kind in dict.fromkeys(wanted.validated_data["types"])]
        limit = wanted.validated_data["limit"]
        results = []
        for name in wanted.validated_data["names"]:
            matches = [
                {
                    "id": hit.record.pk,
                    "type": hit.kind,
                    "name": search.DISPLAY[hit.kind].title(hit.record),
                    "url": request.build_absolute_uri(hit.record.get_absolute_url()),
                    "score": hit.score,
                    "matched": hit.matched,
                }
                for hit in search.match(name, kinds, limit)
            ]
            results.append({"query": name, "matches": matches})
        return Response({"results": results})


class APIPage(TemplateView):
    """The API's documentation, rendered here: Redoc and Swagger UI need scripts from a CDN,
    which the site's Content-Security-Policy forbids."""

    template_name = "tracker/api.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["endpoints"] = [
            {
                "path": f"/api/{prefix}/",
                "type": basename.replace("-", "_"),
                "description": " ".join(viewset.__doc__.split()),
                "slug": viewset.lookup_value_regex == SLUG,
                "filters": [
                    (name, filter_help(field))
                    for name, field in viewset.filterset_class.base_filters.items()
                ],
            }
            for prefix, viewset, basename in ENDPOINTS
        ]
        context.update(
            rate_limit=settings.API_RATE_LIMIT,
            page_size=settings.API_PAGE_SIZE,
            max_page_size=settings.API_MAX_PAGE_SIZE,
            base=self.request.build_absolute_uri("/api/").rstrip("/"),
        )
        return context


def filter_help(field):
    """What a filter takes, for the API page."""
    if field.field_name == "q":
        return "search text, as in the site's search box"
    choices = field.extra.get("choices")
    if callable(choices):
        return f"{field.label}: an ISO 3166 country code, e.g. RU"
    if choices:
        return "one of " + ", ".join(str(value) for value, _ in choices)
    if "queryset" in field.extra:
        return f"{field.label}: a slug, the last part of its page's address"
    if isinstance(field, filters.YearFilter):
        return f"{field.label}: a year, e.g. 2024"
    if field.lookup_expr == "icontains":
        return f"{field.label}: text it contains, in any case"
    placeholder = (
        field.extra.get("widget").attrs.get("placeholder") if "widget" in field.extra else ""
    )
    return f"{field.label} ({placeholder})" if placeholder else str(field.label)


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: YAML, or JSON with ?format=json."""

    throttle_classes = [AddressThrottle]


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
@throttle_classes([AddressThrottle])
@schema(None)
def not_found(request, rest=""):
    """Any other address under /api/: a JSON 404, like an unknown record."""
    raise exceptions.NotFound("No such endpoint; see /api/ for the list.")


urlpatterns = [
    path("", APIPage.as_view(), name="api"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("match/", MatchView.as_view(), name="api-match"),
    *router.urls,
    re_path(r"^(?P<rest>.*)$", not_found),
]
