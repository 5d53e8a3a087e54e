"""A shape's records as CSV cells, read from `values_list()` a chunk at a time.

A CSV export reads only a part of each shape (`tracker.exports.csv_columns`): the dates
and precisions, the ids and names of related records, the sources' ids and addresses, one
label per part. Building every record through its serializer (a model instance, a
`reverse()` and a translated label per row, every part with its own citations) costs about a
millisecond a record. Here the same shape is read as a plan, derived from the shape's own
fields (one rule: nothing is listed twice):

- the record's own fields come from one `values_list()` query, streamed; lists of related
  records linked many-to-many (a case's people) and the cited sources come in it too, each
  already joined into its two cells by the database (`JoinedPair`: the public rows, in the
  shape's order);
- per chunk of CHUNK_SIZE records, one query per other list of parts (read through the very
  `published()` queryset the shape prefetches, so nothing unpublished appears) and one
  grouped query for `evidence` (tracker.models.evidence.confirmed_ids);
- page URLs from a template computed once; choice labels from a dict; dates and countries
  through the shapes' own functions, once per distinct value.

A chunk's rows are read as columns (a tuple per lookup) and each CSV column is built from
whole columns: dict lookups by `map()`, a comprehension where a rule needs one, and no dict
or call per record, or per part, for most cells. The parts of a list are read only for what
CSV writes of them (`exports.CSV_ITEM_KEYS`): their ids and labels (`exports.part_label`).
Tests check that the CSV written from these cells is byte for byte the CSV written from the
serializers, for every export.
"""

import functools
import itertools
import re
from urllib.parse import quote

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import models
from django.db.models import (
    Expression,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
)
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

# Records per chunk. Each list of parts is one query per chunk, which PostgreSQL answers by a
# scan of all the parts once a chunk names many records: at 100k cases, 1000 a chunk took
# about 76 ms a chunk (events and charges), 2500 about 86 ms, 5000 about 200 ms. A chunk's
# rows and parts are held in memory (people at 100k: 106 MB peak at 1000, 132 MB at 5000).
CHUNK_SIZE = 2500
# At most this many property values are kept between chunks (see _PartColumns._rows).
MAX_KNOWN = 10_000
OWNER = "export_owner"
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


PART_ID, PART_TEXT = "export_part_id", "export_part_text"  # the columns JoinedPair joins
# Between the ids and the texts of a JoinedPair: the ids are integers joined by
# LIST_SEPARATOR, so the first one of these ends them.
PAIR_END = ";"


class JoinedPair(Subquery):
    """Both cells of a list (its ids and its names, or addresses) from one correlated
    subquery, as one text: the ids joined by `separator`, PAIR_END, the texts joined by
    `separator` (NULL when there are none). GROUP_CONCAT (SQLite) or string_agg (PostgreSQL)
    over the queryset's rows as a derived table, in its order: SQLite before 3.44 takes no
    ORDER BY inside an aggregate. One subquery for both cells: two would have the database
    find the same rows twice."""

    output_field = models.TextField()

    def __init__(self, queryset, id_column, text_column, separator):
        self.separator = separator
        super().__init__(queryset.values(**{PART_ID: F(id_column), PART_TEXT: F(text_column)}))

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        if connection.vendor == "postgresql":
            ids = f"string_agg(CAST(parts.{PART_ID} AS text), %s)"
            texts = f"string_agg(CAST(parts.{PART_TEXT} AS text), %s)"
        else:
            ids = f"GROUP_CONCAT(parts.{PART_ID}, %s)"
            texts = f"GROUP_CONCAT(parts.{PART_TEXT}, %s)"
        # `sql` is the subquery Django compiled, with its parameters: nothing is pasted in.
        pair = f"{ids} || %s || COALESCE({texts}, '')"
        return (
            f"(SELECT {pair} FROM {sql} parts)",  # noqa: S608
            (self.separator, PAIR_END, self.separator, *params),
        )


def _split_pairs(values):
    """The two cells of each JoinedPair value: (ids, texts), "" for none."""
    pairs = [("", "", "") if value is None else value.partition(PAIR_END) for value in values]
    return [pair[0] for pair in pairs], [pair[2] for pair in pairs]


def _chunks(iterable, size=None):
    """Lists of `size` items (CHUNK_SIZE, read when called: a test sets it)."""
    iterator = iter(iterable)
    size = size or CHUNK_SIZE
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


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
    """(sources, "source_id", "address") of the public citations of the record OuterRef("pk"):
    each source once, in the order it is first cited (as exports' `_citation_sources`), with
    its address or "" (AddressField's null, as CSV writes it)."""
    if Citation._meta.ordering != ["id"]:
        raise ImproperlyConfigured("_cited_sources orders citations by id, as Citation does")
    sources = (
        shapes.published(Citation, cited=model)
        .filter(content_type=ContentTypeId(model), object_id=OuterRef("pk"))
        .order_by()
        .values("source_id")
        .annotate(first=Min("id"), address=Coalesce(Max("source__url"), Value("")))
        .order_by("first")
    )
    return sources, "source_id", "address"


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


# CSV cells, a column at a time.
#
# The same reading of the shapes as above, but each chunk of rows from `values_list()` is
# turned into columns (one tuple per lookup), each CSV column is built from whole columns
# (dict lookups by `map()`, a comprehension where a rule needs one), and the rows are put
# back together by `zip()`: no dict and no call per record or per part for most cells.

# What quote(value, safe=URL_SAFE) leaves as it is.
URL_UNQUOTED = re.compile(r"[^A-Za-z0-9_.\-~" + re.escape(URL_SAFE) + "]")


def _quoted(values):
    """quote(str(value), safe=URL_SAFE) of each value, without a call per value when none
    needs quoting (ids, slugs)."""
    texts = list(map(str, values))
    if URL_UNQUOTED.search("".join(texts)) is None:
        return texts
    return [quote(text, safe=URL_SAFE) for text in texts]


class _Dates:
    """The public forms of partial dates (shapes.partial_date), each (date, precision) worked
    out once per export: the same day reads the same way throughout.

    A date is read as the database gives it (`need`: text on SQLite), made a date only once
    per distinct value, not once per row by Django's converters."""

    def __init__(self):
        self.iso, self.precision, self.display = {}, {}, {}
        self.fields = {}

    def need(self, plan, model, date):
        """The lookups of partial date `date`, as read; `plan` reads them."""
        lookup = f"export_date_{date}"
        self.fields[lookup] = model._meta.get_field(date)
        plan.annotations[lookup] = ExpressionWrapper(F(date), output_field=models.TextField())
        plan._need(lookup, f"{date}_precision")
        return lookup, f"{date}_precision"

    def keys(self, columns, lookups):
        lookup, precision = lookups
        keys = list(zip(columns[lookup], columns[precision], strict=True))
        to_date = self.fields[lookup].to_python
        for key in set(keys).difference(self.iso):
            value = shapes.partial_date(to_date(key[0]), key[1])
            self.iso[key] = value and value["date"]
            self.precision[key] = value and value["precision"]
            self.display[key] = value and value["display"]
        return keys


class _Columns:
    """How to write the CSV cells of a shape's fields (`exports.csv_columns`, column for column)
    from a chunk of `values_list()` rows read as columns."""

    def __init__(self, serializer, model, context):
        self.model = model
        self.context = context
        self.lookups = ["pk"]
        self.annotations = {}  # lists joined by the database (JoinedPair), by lookup
        self.chunk_readers = {}  # name: reader(ids) -> value for the chunk
        self.dates = _Dates()
        self.makers = [
            self._maker(name, field, serializer) for name, field in serializer.fields.items()
        ]

    def _need(self, *lookups):
        for lookup in lookups:
            if lookup not in self.lookups:
                self.lookups.append(lookup)

    def _maker(self, name, field, serializer):  # noqa: C901, PLR0911
        """maker(columns, extras, count) -> the CSV columns of field `name`."""
        model = self.model
        if isinstance(field, shapes.PartialDateField):
            date = self.dates.need(self, model, field.date_field or name)

            def partial_date(columns, extras, count):
                keys = self.dates.keys(columns, date)
                return [
                    list(map(self.dates.iso.__getitem__, keys)),
                    list(map(self.dates.precision.__getitem__, keys)),
                ]

            return partial_date
        if isinstance(field, shapes.CountryField):
            self._need(field.source)
            codes, names = {}, {}

            def country(columns, extras, count):
                values = columns[field.source]
                for code in set(values).difference(codes):
                    shown = field.to_representation(Country(code=code) if code else None)
                    codes[code], names[code] = shown and shown["code"], shown and shown["name"]
                return [list(map(codes.__getitem__, values)), list(map(names.__getitem__, values))]

            return country
        if field.source == "public_citations":
            return self._joined(name, *_cited_sources(model))
        if isinstance(field, serializers.ListSerializer):
            parts = _linked_parts(serializer, field, model)
            if parts is not None:
                text = "title" if "title" in field.child.fields else "name"
                return self._joined(name, parts, "id", text)
            reader = _PartColumns(serializer, field, model, self.context)
            self.chunk_readers[name] = reader

            def parts_cells(columns, extras, count):
                pks = columns["pk"]  # a record without parts: ""
                return [list(map(cells.get, pks, itertools.repeat(""))) for cells in extras[name]]

            return parts_cells
        if isinstance(field, serializers.Serializer):
            from tracker.exports import _is_link

            if not _is_link(field):
                raise ImproperlyConfigured(f"{name}: a nested record CSV cannot write")
            text = "title" if "title" in field.fields else "name"
            lookups = (f"{field.source}__id", f"{field.source}__{text}")
            self._need(*lookups)
            # A missing record reads None in both (the join finds no row).
            return lambda columns, extras, count: [columns[lookups[0]], columns[lookups[1]]]
        value = _value_column(name, field, serializer, model, self)
        return lambda columns, extras, count: [value(columns, extras, count)]

    def _joined(self, name, queryset, id_column, text_column):
        """A list the database writes as two cells, its ids and its names (or addresses)."""
        from tracker.exports import LIST_SEPARATOR

        lookup = f"export_{name}"
        self.annotations[lookup] = JoinedPair(queryset, id_column, text_column, LIST_SEPARATOR)
        self._need(lookup)
        return lambda columns, extras, count: list(_split_pairs(columns[lookup]))

    def extras(self, ids):
        return {name: reader(ids) for name, reader in self.chunk_readers.items()}


def _value_column(name, field, serializer, model, plan):  # noqa: C901, PLR0911
    """column(columns, extras, count) -> the values of a field written as one value (text, a
    number, a choice's label, a page's address, the evidence), for each row; `plan` is told
    the lookups it reads."""
    source = field.source
    if isinstance(field, shapes.TypeField):
        return lambda columns, extras, count: [field.value] * count
    if isinstance(field, shapes.PageField):
        url = shapes.UrlTemplate(model, plan.context)
        plan._need(*url.lookups)
        if not url.lookups:  # the same page for every record
            return lambda columns, extras, count: [url.template] * count
        return lambda columns, extras, count: list(
            map(url.format, *(_quoted(columns[lookup]) for lookup in url.lookups))
        )
    if isinstance(field, shapes.EvidenceField):
        if not issubclass(model, CitedModel):
            raise ImproperlyConfigured(f"{model.__name__} has no evidence")
        confirming = confirming_citations(model)
        plan.chunk_readers[name] = lambda ids: confirmed_ids(confirming, Ids(ids))

        def evidence(columns, extras, count):
            confirmed = extras[name]
            return [CONFIRMED if pk in confirmed else UNVERIFIED for pk in columns["pk"]]

        return evidence
    if display := shapes.DISPLAY.fullmatch(source):
        choice = model._meta.get_field(display[1])
        plan._need(choice.attname)
        labels = {value: str(label) for value, label in choice.flatchoices}
        if type(field) in AS_READ and type(choice) in AS_READ[type(field)]:
            return lambda columns, extras, count: list(
                map(labels.get, columns[choice.attname], columns[choice.attname])
            )
        return lambda columns, extras, count: _written(
            field, list(map(labels.get, columns[choice.attname], columns[choice.attname]))
        )
    column = shapes.concrete_field(model, source)
    if column is None:
        if not isinstance(getattr(model, source, None), property):
            raise ImproperlyConfigured(
                f"{type(serializer).__name__}.{name}: no rule for {type(field).__name__}"
            )
        if not isinstance(plan, _PartColumns):
            raise ImproperlyConfigured(f"{name}: every record field must be a column")
        plan.properties.append((source, field))
        return lambda columns, extras, count: columns[source]  # written as read (see _rows)
    plan._need(source)
    if type(field) in AS_READ and type(column) in AS_READ[type(field)]:
        return lambda columns, extras, count: columns[source]  # written as read
    return lambda columns, extras, count: _written(field, columns[source])


def _written(field, values):
    """What the serializer field writes for each of `values` (a sequence), worked out once per
    distinct value."""
    try:
        written = {value: _value(field, value) for value in set(values)}
    except TypeError:  # a value that cannot be a key
        return [_value(field, value) for value in values]
    return list(map(written.__getitem__, values))


class _PartColumns:
    """The two cells of a list of parts (a case's charges, events) for a chunk of records:
    `<field>_ids` (when the parts have ids) or the ids of related records, and their labels
    (`exports._label`) or names. Read through the shape's own Prefetch queryset (its
    `published()` rows, in its order); reader(ids) -> [{record id: cell}] per CSV column.

    A part with a foreign key to its record (a charge) is read in one query. Parts linked
    many-to-many take two: the links of the chunk, then the parts by a subquery of those
    links, in the queryset's order (a chunk of people can name more cases than SQLite takes
    parameters); one joined query would have the database walk every part in that order and
    probe the links of each."""

    def __init__(self, serializer, field, model, context):
        from tracker import exports

        prefetch = _prefetch(type(serializer), field.source)
        descriptor = getattr(model, prefetch.prefetch_through)
        relation = descriptor.field
        self.links = None
        if isinstance(descriptor, ManyToManyDescriptor):
            columns = [relation.m2m_column_name(), relation.m2m_reverse_name()]
            if descriptor.reverse:
                columns.reverse()
            self.links = (relation.remote_field.through, *columns)
        else:
            self.owner = relation.name
        queryset = prefetch.queryset
        self.model = queryset.model
        # Parts of the chunk's own records, public already (see csv_chunks), read by their ids:
        # the record each is part of is not tested again, what else it shows is.
        part_of_public = self.links is None and self.owner == getattr(self.model, "part_of", None)
        self.queryset = self.model.objects.published(part_of_public=part_of_public)
        if queryset.query.select_related:
            self.queryset = self.queryset.select_related(*_selected(queryset.query.select_related))
        if queryset.query.order_by:
            self.queryset = self.queryset.order_by(*queryset.query.order_by)
        self.context = context
        self.lookups = ["pk"] if self.links else ["pk", OWNER]
        self.annotations = {}  # dates as read (_Dates)
        self.chunk_readers = {}
        self.properties = []
        self.known = {}
        self.dates = _Dates()
        record_column = None if self.links else relation.attname
        self.own_fields = [
            field.attname
            for field in queryset.model._meta.concrete_fields
            if not field.primary_key and field.attname != record_column
        ]
        child = field.child
        keep = exports.csv_item_keeps(child)
        kept = {name: item for name, item in child.fields.items() if keep(name, item)}
        self.has_ids = "id" in child.fields
        self.is_link = exports._is_link(child)
        if self.is_link:
            text = "name" if "name" in child.fields else "title"
            self.label = self._text(text, kept, child)
            return
        # exports._label, its keys read column by column.
        self.own_label = self._text("label", kept, child) if "label" in kept else None
        names = [self._text(key, kept, child) for key in exports.LABEL_NAME_KEYS if key in kept]
        self.law = None
        if isinstance(kept.get("law"), serializers.Serializer):
            source = kept["law"].source
            self.law = (f"{source}__id", f"{source}__title")
            self._need(*self.law)
        self.names = names
        self.date_fields = []
        for name, item in kept.items():
            if isinstance(item, shapes.PartialDateField):
                self.date_fields.append(self.dates.need(self, self.model, item.date_field or name))
        self.texts = [
            self._text(key, kept, child) for key in exports.LABEL_TEXT_KEYS if key in kept
        ]

    def _need(self, *lookups):
        for lookup in lookups:
            if lookup not in self.lookups:
                self.lookups.append(lookup)

    def _text(self, name, kept, child):
        return _value_column(name, kept[name], child, self.model, self)

    def _rows(self, queryset):
        """The parts' rows as columns by lookup.

        A property (Charge.label) is read from instances, only for rows whose own values (every
        column but the id and the record's, a foreign key naming the same related row) have
        not been seen yet in this export: the property depends on nothing else. Its values are
        kept as the serializer writes them."""
        lookups = [*self.lookups, *self.own_fields] if self.properties else self.lookups
        rows = list(queryset.annotate(**self.annotations).values_list(*lookups))
        columns = (
            dict(zip(lookups, zip(*rows, strict=True), strict=True))
            if rows
            else dict.fromkeys(lookups, ())
        )
        if self.properties:
            keys = list(zip(*(columns[name] for name in self.own_fields), strict=True))
            if len(self.known) > MAX_KNOWN:
                self.known.clear()
            missing = [
                pk for pk, key in zip(columns["pk"], keys, strict=True) if key not in self.known
            ]
            for instance in self.queryset.filter(pk__in=Ids(missing)) if missing else ():
                values = vars(instance)
                key = tuple(values[name] for name in self.own_fields)
                self.known[key] = tuple(
                    _value(field, getattr(instance, name)) for name, field in self.properties
                )
            known = list(map(self.known.__getitem__, keys))
            for index, (name, _field) in enumerate(self.properties):
                columns[name] = [values[index] for values in known]
        return columns, len(rows)

    def _labels(self, columns, count):
        """Each part's text in its cell (exports._label, or a related record's name)."""
        from tracker.exports import part_label

        if self.is_link:
            return self.label(columns, {}, count)
        names = [column(columns, {}, count) for column in self.names]
        name = (
            [next(filter(None, values), "") for values in zip(*names, strict=True)]
            if names
            else None
        )
        if name is None:
            name = [""] * count
        if self.law:
            name = [
                text or (title if law is not None else "")
                for text, law, title in zip(
                    name, columns[self.law[0]], columns[self.law[1]], strict=True
                )
            ]
        display = [None] * count
        for date in reversed(self.date_fields):  # the first date known
            keys = self.dates.keys(columns, date)
            shown = map(self.dates.display.__getitem__, keys)
            display = [
                value if value is not None else later
                for value, later in zip(shown, display, strict=True)
            ]
        texts = [column(columns, {}, count) for column in self.texts]
        text = (
            [next(filter(None, values), "") for values in zip(*texts, strict=True)]
            if texts
            else [""] * count
        )
        labels = list(map(part_label, name, display, text))
        if self.own_label is not None:
            own = self.own_label(columns, {}, count)
            labels = [value if value else label for value, label in zip(own, labels, strict=True)]
        return labels

    def __call__(self, ids):
        from tracker.exports import LIST_SEPARATOR

        if self.links is None:
            queryset = self.queryset.filter(**{f"{self.owner}__in": Ids(ids)})
            queryset = queryset.annotate(**{OWNER: F(self.owner)})
            columns, count = self._rows(queryset)
            pairs = zip(columns[OWNER], columns["pk"], self._labels(columns, count), strict=True)
        else:
            through, owner_column, part_column = self.links
            links = through.objects.filter(**{f"{owner_column}__in": Ids(ids)})
            owners = list(links.values_list(owner_column, part_column))
            columns, count = self._rows(self.queryset.filter(pk__in=links.values(part_column)))
            labels = dict(zip(columns["pk"], self._labels(columns, count), strict=True))
            order = {pk: position for position, pk in enumerate(labels)}
            owners = [link for link in owners if link[1] in order]  # only the public parts
            owners.sort(key=lambda link: order[link[1]])
            pairs = ((owner, pk, labels[pk]) for owner, pk in owners)
        grouped = {}
        for owner, pk, label in pairs:
            parts = grouped.get(owner)
            if parts is None:
                grouped[owner] = parts = ([], [])
            parts[0].append(pk)
            parts[1].append(label)
        texts = {owner: LIST_SEPARATOR.join(parts[1]) for owner, parts in grouped.items()}
        if not (self.has_ids or self.is_link):
            return [texts]
        ids = {owner: LIST_SEPARATOR.join(map(str, parts[0])) for owner, parts in grouped.items()}
        return [ids, texts]


def csv_chunks(queryset, shape, context):
    """The CSV cells of the records of `queryset` (filtered and ordered as the list shows
    them) as `exports.csv_columns` writes them (formulas not yet escaped): per chunk of
    records, a list of its columns, each a sequence of cells, one per record (a fixed number
    of queries per chunk).

    `queryset` holds public records only (the shape's `queryset()`, filtered): the parts of a
    chunk are read by the ids of its records, which are not tested again."""
    columns = _Columns(shape(context=context), shape.Meta.model, context)
    queryset = queryset.prefetch_related(None).annotate(**columns.annotations)
    rows = queryset.values_list(*columns.lookups).iterator(CHUNK_SIZE)
    for chunk in _chunks(rows):
        count = len(chunk)
        read = dict(zip(columns.lookups, zip(*chunk, strict=True), strict=True))
        extras = columns.extras(read["pk"])
        cells = []
        for maker in columns.makers:
            cells += maker(read, extras, count)
        yield cells
