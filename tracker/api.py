"""The read-only JSON API under /api/ (Django REST framework).

Every record in its public shape (tracker/shapes.py), filtered by the very FilterSets of the
HTML lists (tracker/filters.py), paged by cursor (keyset on the id: no COUNT, nothing
repeated or skipped while records are added), throttled per address, described by OpenAPI 3
(drf-spectacular) at /api/schema/ and by a page of its own at /api/.

The HTML lists ignore a bad filter value and say so on the page; the API refuses it (400,
naming the parameter), since a script would otherwise get everything without noticing.
"""

import logging

from django import forms
from django.conf import settings
from django.core.cache import caches
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
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from tracker import filters, shapes
from tracker.sites import client_ip

logger = logging.getLogger(__name__)

CURSOR = "cursor"
PAGE_SIZE = "page_size"


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
        except exceptions.NotFound:
            cursor = False
        # The position is an id: anything else would reach the database as a bad value.
        if cursor is False or (
            cursor is not None
            and cursor.position is not None
            and not (cursor.position.isascii() and cursor.position.isdigit())
            or (cursor and cursor.position and len(cursor.position) > 18)
        ):
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
        response.data = {"detail": f"Invalid parameter: {names}.", "errors": response.data}
    if isinstance(exc, exceptions.Throttled):
        response.data = {
            "detail": f"Too many requests from this address: {settings.API_RATE_LIMIT} at most. "
            f"Try again in {exc.wait:.0f} seconds, or use the bulk data files."
        }
    return response


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
        known = {CURSOR, PAGE_SIZE, *(filterset_class.base_filters if filterset_class else ())}
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

    def get_queryset(self):
        return self.shape.queryset()

    def get_object(self):
        """The public record with this id, or this slug; filters do not apply to it."""
        value = self.kwargs[self.lookup_url_kwarg]
        queryset = self.get_queryset()
        record = queryset.filter(pk=int(value)).first() if value.isdigit() else None
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
    *router.urls,
    re_path(r"^(?P<rest>.*)$", not_found),
]
