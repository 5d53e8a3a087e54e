"""A shape's records as light dicts, read from `values()` a chunk at a time, for CSV.

A CSV export reads only a part of each shape (`tracker.exports.csv_columns`): the dates
and precisions, the ids and names of related records, the sources' ids and addresses, one
label per part. Building every record through its serializer (a model instance, a
`reverse()` and a translated label per row, every part with its own citations) costs about a
millisecond a record. Here the same shape is read as a plan, derived from the shape's own
fields (one rule: nothing is listed twice):

- the record's own fields come from one `values()` query, streamed; lists of related records
  linked many-to-many (a case's people) and the cited sources come in it too, each already
  joined into its two cells by the database (`Joined`: the public rows, in the shape's order);
- per chunk of CHUNK_SIZE records, one query per other list of parts (read through the very
  `published()` queryset the shape prefetches, so nothing unpublished appears) and one
  grouped query for `evidence` (tracker.models.evidence.confirmed_ids);
- page URLs from a template computed once; choice labels from a dict; dates and countries
  through the shapes' own functions.

Each record is a dict with the shape's keys; the parts of a list keep only what CSV reads
(`exports.CSV_ITEM_KEYS`), so a nested structure CSV never reads is never built.
Tests check that the CSV written from these dicts is byte for byte the CSV written from the
serializers, for every export.
"""

import functools
import itertools
import re
from urllib.parse import quote

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Expression, F, Max, Min, OuterRef, Prefetch, Subquery, Value
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.db.models.functions import Coalesce
from django.utils.http import RFC3986_SUBDELIMS
from django_countries.fields import Country
from rest_framework import serializers

from tracker import shapes
from tracker.models import Citation
from tracker.models.base import CitedModel
from tracker.models.evidence import (
    CONFIRMED,
    UNVERIFIED,
    confirmed_ids,
    confirming_citations,
)
from tracker.models.public import ContentTypeId

CHUNK_SIZE = 1000
# At most this many property values are kept between chunks (see _Plan.rows).
MAX_KNOWN = 10_000
# Stand-ins for a record's id and slugs while its URL template is built (see _UrlTemplate).
PK_MARK = 987654321
OWNER = "export_owner"
PART = "export_part"  # the column a Joined subquery joins
URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted


class Ids(Expression):
    """A chunk's ids as the right side of `__in`, passed as they are: Django would otherwise
    prepare each value of a list on its own (about a tenth of an export's time). The ids are
    read from the database, so they are already what the column holds."""

    def __init__(self, ids):
        super().__init__()
        self.ids = list(ids)

    def as_sql(self, compiler, connection):
        if not self.ids:
            raise EmptyResultSet  # as Django does for an empty list (`IN ()` is not SQL)
        return f"({', '.join(['%s'] * len(self.ids))})", self.ids


class Joined(Subquery):
    """The values of `column` of a queryset's rows (correlated to the record by OuterRef), in
    the queryset's order, joined by `separator` into one text by the database; NULL when there
    are none. GROUP_CONCAT (SQLite) or string_agg (PostgreSQL) over the ordered rows as a
    derived table: SQLite before 3.44 takes no ORDER BY inside an aggregate."""

    output_field = models.TextField()

    def __init__(self, queryset, column, separator):
        self.separator = separator
        super().__init__(queryset.values(**{PART: F(column)}))

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        if connection.vendor == "postgresql":
            aggregate = f"string_agg(CAST(parts.{PART} AS text), %s)"
        else:
            aggregate = f"GROUP_CONCAT(parts.{PART}, %s)"
        # `sql` is the subquery Django compiled, with its parameters: nothing is pasted in.
        return f"(SELECT {aggregate} FROM {sql} parts)", (self.separator, *params)  # noqa: S608


def _chunks(iterable, size=CHUNK_SIZE):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class _UrlTemplate:
    """A model's absolute page URLs from one `get_absolute_url()` call: the record, and the
    records its URL is built from (a designation's organisation), get stand-in ids and
    slugs; each row's URL is the template with its own values in their place."""

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
        template = shapes.absolute_url(instance.get_absolute_url(), context)
        self.marks = {mark: lookup for lookup, mark in marks.items() if mark in template}
        self.lookups = list(self.marks.values())
        self.template = template
        self.pattern = re.compile("|".join(re.escape(mark) for mark in self.marks) or "(?!)")

    def __call__(self, row):
        return self.pattern.sub(
            lambda match: quote(str(row[self.marks[match.group()]]), safe=URL_SAFE),
            self.template,
        )


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _concrete(model, name):
    """The concrete, not relational, model field `name`, or None (e.g. a property)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete and not field.is_relation else None


# Serializer fields that write a value of these model fields as the database gives it (a str
# as itself, an int as itself, None as None): read without a call per value.
AS_READ = {
    serializers.CharField: (models.CharField, models.TextField, models.SlugField),
    serializers.IntegerField: (models.IntegerField, models.PositiveIntegerField),
}
AS_READ[serializers.IntegerField] += (models.PositiveSmallIntegerField, models.BigAutoField)
AS_READ[serializers.IntegerField] += (models.AutoField, models.BigIntegerField)


def _value(field, value):
    """What the serializer writes for `value` (DRF leaves None as None)."""
    return None if value is None else field.to_representation(value)


class _Plan:
    """How to build the dicts of one serializer's fields (all, or only `keep`) from rows of
    `model`: the `lookups` to read, a builder per field, and the lists and per-record
    extras read per chunk."""

    def __init__(self, serializer, model, context, keep=None):
        self.model = model
        self.lookups = {"pk"}
        self.properties = []  # fields read from a property of an instance (Charge.label)
        self.known = {}  # the properties' values by the part's own values (see rows())
        self.own_fields = []  # those own values: every column but the id and the record's
        self.builders = []
        self.chunk_readers = {}  # name: reader(ids) -> {id: value}
        self.annotations = {}  # lists joined by the database (Joined), by lookup
        for name, field in serializer.fields.items():
            if keep is not None and not keep(name, field):
                continue
            self.builders.append((name, self._builder(name, field, serializer, context)))

    def _need(self, *lookups):
        self.lookups.update(lookups)

    def _builder(self, name, field, serializer, context):  # noqa: C901, PLR0911
        model = self.model
        source = field.source
        if isinstance(field, shapes.TypeField):
            return lambda row, extras, value=field.value: value
        if isinstance(field, shapes.PageField):
            url = _UrlTemplate(model, context)
            self._need(*url.lookups)
            return lambda row, extras: url(row)
        if isinstance(field, shapes.PartialDateField):
            date = field.date_field or name
            self._need(date, f"{date}_precision")
            dates = {}  # the same day reads the same way throughout one export

            def partial_date(row, extras):
                key = (row[date], row[f"{date}_precision"])
                if key not in dates:
                    dates[key] = shapes.partial_date(*key)
                return dates[key]

            return partial_date
        if isinstance(field, shapes.CountryField):
            self._need(source)
            countries = {}

            def country(row, extras):
                code = row[source]
                if code not in countries:
                    countries[code] = field.to_representation(Country(code=code) if code else None)
                return countries[code]

            return country
        if isinstance(field, shapes.EvidenceField):
            if not issubclass(model, CitedModel):
                raise ImproperlyConfigured(f"{model.__name__} has no evidence")
            confirming = confirming_citations(model)
            self.chunk_readers[name] = lambda ids: confirmed_ids(confirming, Ids(ids))
            return lambda row, extras: CONFIRMED if row["pk"] in extras[name] else UNVERIFIED
        if source == "public_citations":
            return self._joined(name, *_cited_sources(model))
        if isinstance(field, serializers.ListSerializer):
            parts = _linked_parts(serializer, field, model)
            if parts is not None:
                text = "title" if "title" in field.child.fields else "name"
                return self._joined(name, parts, "id", parts, text)
        if isinstance(field, serializers.ListSerializer):
            reader = _ListReader(serializer, name, field, model, context)
            self.chunk_readers[name] = reader
            return lambda row, extras: extras[name].get(row["pk"], [])
        if isinstance(field, serializers.Serializer):
            # A related record (a designation's law): its id and name or title; its url is
            # never read from a row (csv_columns gives `<field>_id` and `<field>_name`).
            text = "title" if "title" in field.fields else "name"
            self._need(f"{source}__id", f"{source}__{text}")

            def link(row, extras):
                pk = row[f"{source}__id"]
                return None if pk is None else {"id": pk, text: row[f"{source}__{text}"]}

            return link
        if source.startswith("get_") and source.endswith("_display"):
            choice = model._meta.get_field(source.removeprefix("get_").removesuffix("_display"))
            self._need(choice.attname)
            labels = {value: str(label) for value, label in choice.flatchoices}
            if type(field) in AS_READ and type(choice) in AS_READ[type(field)]:
                return lambda row, extras: labels.get(row[choice.attname], row[choice.attname])
            return lambda row, extras: _value(
                field, labels.get(row[choice.attname], row[choice.attname])
            )
        if _concrete(model, source) is None:
            if not isinstance(getattr(model, source, None), property):
                raise ImproperlyConfigured(
                    f"{type(serializer).__name__}.{name}: no rule for {type(field).__name__}"
                )
            self.properties.append(source)
            return lambda row, extras: _value(field, row[source])
        self._need(source)
        if type(field) in AS_READ and type(_concrete(model, source)) in AS_READ[type(field)]:
            return lambda row, extras: row[source]  # the serializer writes the value as read
        return lambda row, extras: _value(field, row[source])

    def _joined(self, name, ids, id_column, texts, text_column):
        """A list the database writes as two cells, its ids and its names (or addresses)."""
        from tracker.exports import LIST_SEPARATOR, JoinedList

        lookups = (f"export_{name}_ids", f"export_{name}_texts")
        self.annotations[lookups[0]] = Joined(ids, id_column, LIST_SEPARATOR)
        self.annotations[lookups[1]] = Joined(texts, text_column, LIST_SEPARATOR)
        self._need(*lookups)
        return lambda row, extras: JoinedList(row[lookups[0]] or "", row[lookups[1]] or "")

    def rows(self, queryset):
        """The rows to build from: dicts of the lookups, from values().

        A property (Charge.label) is read from instances, only for rows whose own values (every
        column but the id and the record's, a foreign key naming the same related row) have not
        been seen yet in this export: the property depends on nothing else.
        """
        lookups = sorted(self.lookups)
        queryset = queryset.annotate(**self.annotations)
        if OWNER in queryset.query.annotations:
            lookups.append(OWNER)
        if not self.properties:
            return queryset.values(*lookups)
        rows = list(queryset.values(*lookups, *self.own_fields))
        missing = {row["pk"] for row in rows if self._key(row) not in self.known}
        if len(self.known) > MAX_KNOWN:
            self.known.clear()
        for instance in queryset.filter(pk__in=Ids(missing)) if missing else ():
            self.known[self._key(vars(instance))] = {
                name: getattr(instance, name) for name in self.properties
            }
        for row in rows:
            row.update(self.known[self._key(row)])
        return rows

    def _key(self, values):
        return tuple(values[name] for name in self.own_fields)

    def build(self, row, extras):
        return {name: builder(row, extras) for name, builder in self.builders}

    def extras(self, ids):
        return {name: reader(ids) for name, reader in self.chunk_readers.items()}


class _ListReader:
    """The parts of a list field (a case's people, charges, events) for a chunk of records,
    read through the shape's own Prefetch queryset (its `published()` rows, in its order),
    each part only with what CSV reads.

    A part with a foreign key to its record (a charge) is read in one query. Parts linked
    many-to-many (a case's people) take two: the links of the chunk, then the parts by id,
    in the queryset's order; one joined query would have the database walk every part in
    that order and probe the links of each.
    """

    def __init__(self, serializer, name, field, model, context):
        from tracker import exports

        prefetch = _prefetch(type(serializer), field.source)
        descriptor = getattr(model, prefetch.prefetch_through)
        relation = descriptor.field
        self.links = None
        if isinstance(descriptor, ManyToManyDescriptor):
            # (through model, its column naming the record, its column naming the part)
            columns = [relation.m2m_column_name(), relation.m2m_reverse_name()]
            if descriptor.reverse:
                columns.reverse()
            self.links = (relation.remote_field.through, *columns)
        else:
            self.owner = relation.name  # a case's charges -> "case"
        queryset = prefetch.queryset
        self.queryset = queryset.model.objects.published()
        if queryset.query.select_related:
            self.queryset = self.queryset.select_related(*_selected(queryset.query.select_related))
        if queryset.query.order_by:
            self.queryset = self.queryset.order_by(*queryset.query.order_by)
        child = field.child
        self.plan = _Plan(child, queryset.model, context, keep=exports.csv_item_keeps(child))
        record_column = None if self.links else relation.attname
        self.plan.own_fields = [
            field.attname
            for field in queryset.model._meta.concrete_fields
            if not field.primary_key and field.attname != record_column
        ]

    def __call__(self, ids):
        if self.links is None:
            queryset = self.queryset.filter(**{f"{self.owner}__in": Ids(ids)})
            rows = list(self.plan.rows(queryset.annotate(**{OWNER: F(self.owner)})))
            owners = [(row[OWNER], row["pk"]) for row in rows]
        else:
            through, owner_column, part_column = self.links
            links = through.objects.filter(**{f"{owner_column}__in": Ids(ids)})
            owners = list(links.values_list(owner_column, part_column))
            # The parts by a subquery, not a list of ids: a chunk of people can name more
            # cases than SQLite takes parameters.
            parts = self.queryset.filter(pk__in=links.values(part_column))
            rows = list(self.plan.rows(parts))
        extras = self.plan.extras([row["pk"] for row in rows]) if self.plan.chunk_readers else {}
        built = {row["pk"]: self.plan.build(row, extras) for row in rows}  # in the parts' order
        order = {pk: position for position, pk in enumerate(built)}
        owners.sort(key=lambda link: order.get(link[1], -1))
        parts = {}
        for owner, pk in owners:
            if pk in built:  # a part that is not public is not in `built`
                parts.setdefault(owner, []).append(built[pk])
        return parts


def _linked_parts(serializer, field, model):
    """The public parts of a list of related records linked many-to-many (a case's people),
    of the record OuterRef("pk"), in the shape's order; None for any other list."""
    from tracker.exports import _is_link

    if not _is_link(field.child):
        return None
    prefetch = _prefetch(type(serializer), field.source)
    descriptor = getattr(model, prefetch.prefetch_through)
    if not isinstance(descriptor, ManyToManyDescriptor):
        return None
    relation = descriptor.field
    back = relation.name if descriptor.reverse else relation.related_query_name()
    queryset = prefetch.queryset
    parts = queryset.model.objects.published().filter(**{back: OuterRef("pk")})
    return parts.order_by(*queryset.query.order_by) if queryset.query.order_by else parts


def _cited_sources(model):
    """(sources, "id", sources, "url") of the public citations of the record OuterRef("pk"):
    each source once, in the order it is first cited (as exports' `_citation_sources`), with
    its address or "" (AddressField's null, as CSV writes it)."""
    if Citation._meta.ordering != ["id"]:
        raise ImproperlyConfigured("_cited_sources orders citations by id, as Citation does")
    sources = (
        shapes.published(Citation)
        .filter(content_type=ContentTypeId(model), object_id=OuterRef("pk"))
        .order_by()
        .values("source_id")
        .annotate(first=Min("id"), address=Coalesce(Max("source__url"), Value("")))
        .order_by("first")
    )
    return sources, "source_id", sources, "address"


def _selected(select_related):
    """The lookups of a select_related() tree ({"law": {}} -> ["law"])."""
    if select_related is True:
        return []
    lookups = []
    for name, nested in select_related.items():
        below = _selected(nested)
        lookups += [f"{name}__{lookup}" for lookup in below] or [name]
    return lookups


def _prefetch(shape, to_attr):
    """The Prefetch of `shape.queryset()` loading `to_attr`."""
    try:
        return _prefetches(shape)[to_attr]
    except KeyError:
        raise ImproperlyConfigured(
            f"{shape.__name__}.queryset() does not prefetch {to_attr}"
        ) from None


@functools.cache
def _prefetches(shape):
    """The Prefetches of `shape.queryset()` by attribute, built once: they are only read."""
    lookups = shape.queryset()._prefetch_related_lookups
    return {lookup.to_attr: lookup for lookup in lookups if isinstance(lookup, Prefetch)}


def flat_records(queryset, shape, context):
    """The records of `queryset` (filtered and ordered as the list shows them) as dicts
    with the keys of `shape`, each list's parts only with what CSV reads, streamed a chunk
    at a time (a fixed number of queries per chunk)."""
    plan = _Plan(shape(context=context), shape.Meta.model, context)
    if plan.properties:
        raise ImproperlyConfigured(f"{shape.__name__}: every record field must be a column")
    queryset = queryset.prefetch_related(None).annotate(**plan.annotations)
    rows = queryset.values(*sorted(plan.lookups)).iterator(CHUNK_SIZE)
    for chunk in _chunks(rows):
        extras = plan.extras([row["pk"] for row in chunk])
        for row in chunk:
            yield plan.build(row, extras)
