"""The one public shape of each record type, as Django REST framework serializers.

The JSON API, the structured exports and the bulk releases all write records through
these serializers, so a record reads the same everywhere:

- every record starts with `id` (its database id), `type` and `url` (its public page,
  absolute); a designation's page is its organisation's with `#designation-<id>`, a case
  event's its case's with `#event-<id>`;
- a partial date is `{"date": "2024-11", "precision": "month", "approximate": false,
  "display": "November 2024"}`, or null when unknown;
- a related record is `{"id", "name" or "title", "url"}`; a choice is its code plus
  `<field>_label`; a country is `{"code", "name"}` or null;
- `citations` lists the record's sources with the quoted passage.

Only public rows appear: every related record, part and citation is read through
`published()` (tracker.models.public), by the prefetches of each shape's `queryset()`,
into `public_*` attributes. A record loaded any other way has no such attributes and
fails loudly rather than showing unfiltered rows.

URLs are absolute: from the request in the serializer's context, else from a `base_url`
in the context (e.g. "https://tracker.example.org" for a bulk file), else from the
SITE_URL setting when it exists, else left as paths.
"""

import re

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from django.db.models import CharField, F, Prefetch, Value
from django.db.models.functions import Concat
from django.db.models.manager import BaseManager
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import is_simple_callable

from tracker.choices import DatePrecision
from tracker.models import (
    Case,
    CaseEvent,
    Charge,
    Citation,
    Designation,
    Law,
    LawAlias,
    LawAmendment,
    Organisation,
    OrganisationAlias,
    Penalty,
    Person,
    PersonAlias,
    Source,
    format_partial_date,
)
from tracker.models.base import PLAIN_KEY, CitedModel
from tracker.templatetags.display import country_name

# How each precision writes a date: no more precisely than the sources know it.
DATE_FORMATS = {
    DatePrecision.DAY: "%Y-%m-%d",
    DatePrecision.MONTH: "%Y-%m",
    DatePrecision.YEAR: "%Y",
    DatePrecision.APPROXIMATE: "%Y",
}

PARTIAL_DATE_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "A date no more precise than the sources know it; null when unknown.",
    "properties": {
        "date": {
            "type": "string",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
            "example": "2024-11",
            "description": "YYYY-MM-DD, YYYY-MM or YYYY, as precise as the precision says.",
        },
        "precision": {"type": "string", "enum": list(DatePrecision.values)},
        "approximate": {"type": "boolean"},
        "display": {"type": "string", "example": "November 2024"},
    },
    "required": ["date", "precision", "approximate", "display"],
}

COUNTRY_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        "code": {"type": "string", "example": "RU"},
        "name": {"type": "string", "example": "Russia"},
    },
    "required": ["code", "name"],
}


def absolute_url(path, context):
    """`path` as an absolute URL, from the request or base URL in a serializer's context."""
    request = context.get("request")
    if request is not None:
        return request.build_absolute_uri(path)
    base = context.get("base_url") or getattr(settings, "SITE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else path


# Stand-ins for a record's id and slugs while its URL template is built (see UrlTemplate).
PK_MARK = 987654321


class UrlTemplate:
    """A model's absolute page URLs from one `get_absolute_url()` call, in the context's
    language and site: the record, and the records its URL is built from (a designation's
    organisation), get stand-in ids and slugs, and each record's URL is the template with its
    own values in their place.

    `lookups` are the values the URL is made of, in order (`pk`, `slug`, `organisation__slug`…);
    `format(*values)` fills them in. Values must be written as reverse() writes them: `url()`
    gives None for a record with a value reverse() would quote. An address made of any other
    value would come out the same for every record: `tests/test_shapes.py` compares every
    shape's pages with the records' own `get_absolute_url()`."""

    def __init__(self, model, context):
        marks = {}
        instance = model(pk=PK_MARK)
        marks["pk"] = str(PK_MARK)
        if _has_field(model, "slug"):
            instance.slug = marks["slug"] = "zzslugzz"
        for number, field in enumerate(model._meta.concrete_fields, start=1):
            if not field.many_to_one:
                continue
            related = field.related_model(pk=PK_MARK + number)
            marks[f"{field.name}_id"] = str(PK_MARK + number)
            if _has_field(field.related_model, "slug"):
                related.slug = marks[f"{field.name}__slug"] = f"zz{number}slugzz"
            setattr(instance, field.name, related)
        template = absolute_url(instance.get_absolute_url(), context)
        by_mark = {mark: lookup for lookup, mark in marks.items() if mark in template}
        pattern = re.compile("|".join(map(re.escape, by_mark)) or "(?!)")
        pieces = pattern.split(template)
        self.template = template
        self.lookups = [by_mark[mark] for mark in pattern.findall(template)]
        self.format = "{}".join(p.replace("{", "{{").replace("}", "}}") for p in pieces).format
        self._paths = [tuple(lookup.split("__")) for lookup in self.lookups]

    def url(self, instance):
        """The absolute URL of `instance`'s page, or None when a value of it is not plain."""
        values = []
        for path in self._paths:
            value = instance
            for attr in path:
                value = getattr(value, attr)
            value = str(value)
            if not PLAIN_KEY.fullmatch(value):  # as detail_url() tells
                return None
            values.append(value)
        return self.format(*values)


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def partial_date(value, precision):
    """The public form of a partial date (see the module docstring), or None."""
    if value is None:
        return None
    return {
        "date": value.strftime(DATE_FORMATS.get(precision, DATE_FORMATS[DatePrecision.DAY])),
        "precision": precision,
        "approximate": precision == DatePrecision.APPROXIMATE,
        "display": format_partial_date(value, precision),
    }


def published(model, **related):
    """A Prefetch queryset of `model`'s public rows (with `related` lookups for nesting).

    `cited=<model>` for citations: those of records of that model, tested against its rule
    alone (`PublicQuerySet.published`).

    `linked=<link shape>` (NamedLink, TitledLink) for rows found through a many-to-many
    link (a person's cases, a case's people), which a shape writes only as links: only the
    link's columns and the slug of its page are loaded, without evidence, sorted once found
    (`sorted_once_found`). A person's cases were otherwise whole rows with their evidence,
    for a link each: half of an export of people."""
    if link := related.get("linked"):
        columns = [name for name in link().fields if concrete_field(model, name)]
        return sorted_once_found(model.objects.published()).only(*columns, "slug")
    if issubclass(model, CitedModel):
        queryset = model.objects.published_with_evidence()
    elif related.get("cited"):
        queryset = model.objects.published(cited=related["cited"])
    else:
        queryset = model.objects.published()
    if related.get("select"):
        queryset = queryset.select_related(*related["select"])
    if related.get("prefetch"):
        queryset = queryset.prefetch_related(*related["prefetch"])
    return queryset


def concrete_field(model, name):
    """The concrete, not relational, model field `name`, or None (e.g. a property)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete and not field.is_relation else None


def sorted_once_found(queryset):
    """`queryset` in its model's order, written so that the database sorts the rows it finds
    rather than reading them in that order from an index.

    Prefetching the cases of 500 people, SQLite otherwise walked every public case in the
    (state, title, id) index, testing each against the 500 people's links: an export of
    people read every case once per chunk (10 s for 930 people). Sorting by the text plus
    nothing is the same order on both databases, but no index holds it. Only a model whose
    ordering starts with a text column that is never NULL needs it."""
    first, *rest = queryset.model._meta.ordering
    if not isinstance(first, str):
        return queryset
    field = queryset.model._meta.get_field(first.lstrip("-"))
    if not isinstance(field, CharField) or field.null:
        return queryset
    key = Concat(F(field.name), Value(""), output_field=CharField())
    return queryset.order_by(key.desc() if first.startswith("-") else key.asc(), *rest)


def public_citations(model):
    """The public citations of the records of `model` being loaded, with their sources (one
    query). Tested against the rule of `model` alone: an export of laws reads none of the
    tables of cases, and is not made stale by an edit to one."""
    return Prefetch(
        "citations",
        queryset=published(Citation, cited=model, select=["source"]),
        to_attr="public_citations",
    )


# Fields


@extend_schema_field(PARTIAL_DATE_SCHEMA, component_name="PartialDate")
class PartialDateField(serializers.Field):
    """A partial date: the model's `<name>` and `<name>_precision` (name defaults to the
    field's own name)."""

    def __init__(self, date_field=None, **kwargs):
        self.date_field = date_field
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, instance):
        name = self.date_field or self.field_name
        return partial_date(getattr(instance, name), getattr(instance, f"{name}_precision"))


@extend_schema_field(COUNTRY_SCHEMA, component_name="Country")
class CountryField(serializers.Field):
    """A country as its ISO code and English name; null when not recorded."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        if not value:
            return None
        # From the names translated so far, as the pages show them: `Country.name` looks the
        # name up in the translations again at every call (about 50 µs).
        return {"code": value.code, "name": country_name(value)}


@extend_schema_field({"type": "string", "format": "uri"})
class PageField(serializers.Field):
    """The absolute URL of the record's public page (its `get_absolute_url()`)."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, instance):
        # From a template per model, made once per serializer (one language, one site): each
        # record's get_absolute_url() and absolute address were about half the time of
        # writing a person with the links to their cases.
        try:
            templates = self._templates
        except AttributeError:
            templates = self._templates = {}
        template = templates.get(type(instance))
        if template is None:
            template = templates[type(instance)] = UrlTemplate(type(instance), self.context)
        url = template.url(instance)
        if url is None:  # a value reverse() quotes: as it writes it
            return absolute_url(instance.get_absolute_url(), self.context)
        return url


class AddressField(serializers.CharField):
    """A web address stored as text: null rather than an empty string when there is none."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class TypeField(serializers.Field):
    """The record's type, the same for every record of a shape."""

    def __init__(self, value, **kwargs):
        self.value = value
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)
        # The schema gives the one value (drf-spectacular reads this from the field).
        extend_schema_field({"type": "string", "enum": [value]})(self)

    def to_representation(self, instance):
        return self.value


def label(field):
    """The display text of choice `field`."""
    return serializers.CharField(source=f"get_{field}_display", read_only=True)


# How a shape writes a record


class Shape:
    """`to_representation()` as DRF's `Serializer` writes it, read through a plan made once
    per serializer: for each readable field, its name, how its value is read and how it is
    written. DRF looks each field up again for every record (the source's path, a check for
    dictionaries and for callables, a `SkipField` test), which was most of an export's time.

    One difference, on purpose: a field whose attribute is missing is an error, where DRF
    would leave the field out without a word. A record not loaded through its shape's
    `queryset()` has no `public_*` rows, and could otherwise be written without them, or be
    read unfiltered.
    """

    def to_representation(self, instance):
        try:
            plan = self._plan
        except AttributeError:
            plan = self._plan = [_field_plan(field) for field in self._readable_fields]
        data = {}
        for name, read, write in plan:
            try:
                value = read(instance)
            except AttributeError as error:
                raise ImproperlyConfigured(
                    f"{type(instance).__name__} #{instance.pk} has no {name}: load it through "
                    f"the shape's queryset() ({error})."
                ) from error
            data[name] = None if value is None else write(value)
        return data


# Fields whose to_representation() is a builtin called on the value, called directly.
_AS_BUILTIN = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
}


def _field_plan(field):
    """(name, read, write) of a serializer field, as DRF reads and writes it (see Shape)."""
    if field.source == "*":
        read = _itself
    elif choice := DISPLAY.fullmatch(field.source):
        read = _display_reader(choice[1])
    else:
        read = _reader(field.source_attrs)
    write = field.to_representation
    if isinstance(field, serializers.ListSerializer):
        write = _list_writer(field.child.to_representation)
    else:
        write = _AS_BUILTIN.get(type(field).to_representation, write)
    return field.field_name, read, write


def _itself(instance):
    return instance


def _reader(attrs):
    """`rest_framework.fields.get_attribute()` for a path of attributes, without its check
    for dictionaries (a shape reads model instances). Whether a method is called is decided
    once per method: DRF reads its signature every time (`is_simple_callable`), which was a
    fifth of an export's time."""
    attrs = tuple(attrs)
    called = {}

    def read(instance):
        for attr in attrs:
            owner = type(instance)
            try:
                instance = getattr(instance, attr)
            except ObjectDoesNotExist:
                return None
            if callable(instance):  # get_kind_display
                simple = called.get((owner, attr))
                if simple is None:
                    simple = called[owner, attr] = is_simple_callable(instance)
                if simple:
                    instance = instance()
        return instance

    return read


# The source of a choice's display text (`label()`).
DISPLAY = re.compile(r"get_(\w+)_display")


def _display_reader(name):
    """`get_<name>_display()`, called once per model and value: a serializer writes in one
    language, and each call looked the text up in the translations again."""
    method = f"get_{name}_display"
    labels = {}

    def read(instance):
        key = type(instance), getattr(instance, name)
        try:
            return labels[key]
        except KeyError:
            labels[key] = getattr(instance, method)()
            return labels[key]

    return read


def _list_writer(write_item):
    def write(items):
        if isinstance(items, BaseManager):
            items = items.all()
        return [write_item(item) for item in items]

    return write


# Related records and parts


class NamedLink(Shape, serializers.Serializer):
    """A related record with a name: an organisation or a person."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = PageField()


class TitledLink(Shape, serializers.Serializer):
    """A related record with a title: a law or a case."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    url = PageField()


class CitedSourceShape(Shape, serializers.ModelSerializer):
    """A source as a citation shows it."""

    url = AddressField(help_text="The original document's address, or null.")
    page = PageField(help_text="The source's page on this site.")
    published = PartialDateField("published_date")
    reliability_label = label("reliability")

    class Meta:
        model = Source
        fields = ("id", "title", "publisher", "url", "page", "published", "kind", "reliability")
        fields += ("reliability_label",)


class CitationShape(Shape, serializers.ModelSerializer):
    """One source behind a record, with the passage quoted; `conflicting` when it disagrees."""

    source = CitedSourceShape(read_only=True)

    class Meta:
        model = Citation
        # `note` is left out: it is the editors' working note on how the record was built.
        fields = ("source", "quote", "conflicting")


class AliasShape(Shape, serializers.Serializer):
    """Another name of a record: an acronym, a spelling, a name in another script.

    `kind` "transliteration" marks a spelling editors derived, which no source gives.
    """

    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_label = label("kind")
    language = serializers.CharField(read_only=True)


class EvidenceField(serializers.CharField):
    """The record's `evidence`, derived in one place: tracker.models.evidence."""


def evidence():
    """The record's `evidence`, derived in one place: tracker.models.evidence."""
    return EvidenceField(
        read_only=True,
        help_text='"confirmed" when a public citation\'s source is graded primary or '
        'established; otherwise "unverified" (only unverified sources, or none).',
    )


def citations():
    return CitationShape(source="public_citations", many=True, read_only=True)


def aliases():
    return AliasShape(source="public_aliases", many=True, read_only=True)


class RecordShape(Shape, serializers.ModelSerializer):
    """A public record: `id`, `type` and `url` first, then its fields."""

    url = PageField()

    @classmethod
    def queryset(cls):
        """The public records of this type, with everything the shape shows (no N+1)."""
        raise NotImplementedError


# Shapes


class DesignationShape(RecordShape):
    """An organisation declared "undesirable", a "foreign agent"… under a law."""

    type = TypeField("designation")
    organisation = NamedLink(read_only=True)
    kind_label = label("kind")
    law = TitledLink(read_only=True, allow_null=True)
    decision_date = PartialDateField()
    register_date = PartialDateField()
    revoked_date = PartialDateField()
    evidence = evidence()
    citations = citations()

    class Meta:
        model = Designation
        fields = (
            *("id", "type", "url", "organisation", "kind", "kind_label", "law", "authority"),
            *("decision_date", "register_date", "revoked_date", "stated_reasons"),
            *("revocation_note", "evidence", "citations"),
        )

    @classmethod
    def queryset(cls):
        return (
            Designation.objects.published_with_evidence()
            .select_related("organisation", "law")
            .prefetch_related(public_citations(Designation))
        )


class DesignationInOrganisationShape(DesignationShape):
    """A designation within its organisation's shape: the same, without the organisation."""

    organisation = None

    class Meta(DesignationShape.Meta):
        fields = tuple(name for name in DesignationShape.Meta.fields if name != "organisation")


class OrganisationShape(RecordShape):
    """An organisation targeted by the state, with its public designations."""

    type = TypeField("organisation")
    aliases = aliases()
    kind_label = label("kind")
    country = CountryField()
    website = AddressField()
    designations = DesignationInOrganisationShape(
        source="public_designations", many=True, read_only=True
    )
    evidence = evidence()
    citations = citations()

    class Meta:
        model = Organisation
        fields = (
            *("id", "type", "url", "slug", "name", "short_name", "aliases", "kind", "kind_label"),
            *("country", "website", "description", "designations", "evidence", "citations"),
        )

    @classmethod
    def queryset(cls):
        return Organisation.objects.published_with_evidence().prefetch_related(
            Prefetch("aliases", published(OrganisationAlias), to_attr="public_aliases"),
            public_citations(Organisation),
            Prefetch(
                "designations",
                published(Designation, select=["law"], prefetch=[public_citations(Designation)]),
                to_attr="public_designations",
            ),
        )


class AmendmentShape(Shape, serializers.ModelSerializer):
    """A change to a law."""

    date = PartialDateField()
    evidence = evidence()
    citations = citations()

    class Meta:
        model = LawAmendment
        fields = ("id", "date", "summary", "evidence", "citations")


class PenaltyShape(Shape, serializers.ModelSerializer):
    """A punishment a law provides, as one source states it."""

    kind_label = label("kind")
    evidence = evidence()
    citations = citations()

    class Meta:
        model = Penalty
        fields = (
            *("id", "kind", "kind_label", "applies_to", "max_fine", "currency"),
            *("max_prison_months", "note", "evidence", "citations"),
        )


class LawShape(RecordShape):
    """A law or code article, with its amendments and penalties."""

    type = TypeField("law")
    kind_label = label("kind")
    jurisdiction = CountryField()
    adopted_date = PartialDateField()
    signature_date = PartialDateField()
    aliases = aliases()
    amendments = AmendmentShape(source="public_amendments", many=True, read_only=True)
    penalties = PenaltyShape(source="public_penalties", many=True, read_only=True)
    evidence = evidence()
    citations = citations()

    class Meta:
        model = Law
        fields = (
            *("id", "type", "url", "slug", "title", "short_title", "number", "kind", "kind_label"),
            *("jurisdiction", "adopted_date", "signature_date", "summary", "aliases"),
            *("amendments", "penalties", "evidence", "citations"),
        )

    @classmethod
    def queryset(cls):
        return Law.objects.published_with_evidence().prefetch_related(
            Prefetch("aliases", published(LawAlias), to_attr="public_aliases"),
            public_citations(Law),
            Prefetch(
                "amendments",
                published(LawAmendment, prefetch=[public_citations(LawAmendment)]),
                to_attr="public_amendments",
            ),
            Prefetch(
                "penalties",
                published(Penalty, prefetch=[public_citations(Penalty)]),
                to_attr="public_penalties",
            ),
        )


class ChargeShape(Shape, serializers.Serializer):
    """One charge of a case: the law (null when the sources name none) and its description."""

    law = TitledLink(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    label = serializers.CharField(
        read_only=True,
        help_text="The charge as one line: the law, then the description unless it repeats "
        "the law's title.",
    )


class CaseEventShape(RecordShape):
    """A dated step in a case: an arrest, a hearing, a verdict…"""

    type = TypeField("case_event")
    case = TitledLink(read_only=True)
    kind_label = label("kind")
    date = PartialDateField()
    evidence = evidence()
    citations = citations()

    class Meta:
        model = CaseEvent
        fields = (
            *("id", "type", "url", "case", "kind", "kind_label", "date", "description"),
            "evidence",
            "citations",
        )

    @classmethod
    def queryset(cls):
        return (
            CaseEvent.objects.published_with_evidence()
            .select_related("case")
            .prefetch_related(public_citations(CaseEvent))
        )


class CaseEventInCaseShape(CaseEventShape):
    """A case event within its case's shape: the same, without the case."""

    case = None

    class Meta(CaseEventShape.Meta):
        fields = tuple(name for name in CaseEventShape.Meta.fields if name != "case")


class CaseShape(RecordShape):
    """A prosecution or other act of repression, with its people, charges and events."""

    type = TypeField("case")
    status_label = label("status")
    country = CountryField()
    people = NamedLink(source="public_people", many=True, read_only=True)
    organisations = NamedLink(source="public_organisations", many=True, read_only=True)
    charges = ChargeShape(source="public_charges", many=True, read_only=True)
    events = CaseEventInCaseShape(source="public_events", many=True, read_only=True)
    evidence = evidence()
    citations = citations()

    class Meta:
        model = Case
        fields = (
            *("id", "type", "url", "slug", "title", "summary", "status", "status_label"),
            *("country", "sentence", "court", "people", "organisations", "charges", "events"),
            "evidence",
            "citations",
        )

    @classmethod
    def queryset(cls):
        return Case.objects.published_with_evidence().prefetch_related(
            Prefetch("people", published(Person, linked=NamedLink), to_attr="public_people"),
            Prefetch(
                "organisations",
                published(Organisation, linked=NamedLink),
                to_attr="public_organisations",
            ),
            Prefetch("charges", published(Charge, select=["law"]), to_attr="public_charges"),
            Prefetch(
                "events",
                published(CaseEvent, prefetch=[public_citations(CaseEvent)]),
                to_attr="public_events",
            ),
            public_citations(Case),
        )


class PersonShape(RecordShape):
    """A defendant, lawyer or other person at the centre of a case."""

    type = TypeField("person")
    aliases = aliases()
    role_label = label("role")
    country = CountryField()
    cases = TitledLink(source="public_cases", many=True, read_only=True)
    evidence = evidence()
    citations = citations()

    class Meta:
        model = Person
        fields = (
            *("id", "type", "url", "slug", "name", "aliases", "role", "role_label", "country"),
            *("description", "cases", "evidence", "citations"),
        )

    @classmethod
    def queryset(cls):
        return Person.objects.published_with_evidence().prefetch_related(
            Prefetch("aliases", published(PersonAlias), to_attr="public_aliases"),
            Prefetch("cases", published(Case, linked=TitledLink), to_attr="public_cases"),
            public_citations(Person),
        )


class SourceShape(RecordShape):
    """A document facts rest on. `url` is the document's own address (or null); `page` is
    its page on this site."""

    type = TypeField("source")
    url = AddressField(help_text="The original document's address, or null.")
    page = PageField(help_text="The source's page on this site.")
    published = PartialDateField("published_date")
    kind_label = label("kind")
    reliability_label = label("reliability")

    class Meta:
        model = Source
        fields = (
            *("id", "type", "url", "page", "title", "publisher", "author", "published"),
            *("language", "kind", "kind_label", "reliability", "reliability_label"),
            *("reliability_note", "summary"),
        )

    @classmethod
    def queryset(cls):
        return Source.objects.published()


# Each public record type, its model and its shape (for the API, exports and bulk files).
SHAPES = {
    "organisation": OrganisationShape,
    "designation": DesignationShape,
    "law": LawShape,
    "case": CaseShape,
    "person": PersonShape,
    "source": SourceShape,
    "case_event": CaseEventShape,
}
