"""Structured exports of a filtered list: JSON, JSON Lines and CSV, streamed so memory stays flat.

Every format writes the one public shape of its record type (`tracker.shapes`): JSON and
JSON Lines as is, CSV flattened to one row per record by `csv_columns` (see README,
"Exports and feeds").
"""

import csv
import datetime
import io
import itertools
import json
import re

from anyascii import anyascii
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from rest_framework import serializers

from tracker import shape_rows, shapes

# A spreadsheet runs a cell starting with one of = + - @ (or a tab or carriage return) as a
# formula. Such a cell is written with a "'" before it, and the admin's import takes that "'"
# off again; cells already starting with "'" and then one of those get one more, so that every
# value reads back as it was ("'s-Hertogenbosch" is left alone).
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def escape_formula(value):
    """The cell as CSV files here write it: never starting as a spreadsheet formula."""
    if isinstance(value, str) and FORMULA_START.match(value):
        return f"'{value}"
    return value


def unescape_formula(value):
    """The cell as it was before escape_formula()."""
    if isinstance(value, str) and value.startswith("'") and FORMULA_START.match(value[1:]):
        return value[1:]
    return value


CHUNK_SIZE = 500
# Rows of CSV sent to the client at a time.
LINES_PER_PIECE = 100
# Several values in one CSV cell (a case's people, a record's sources) are joined by this.
LIST_SEPARATOR = " | "
# Excel on Windows reads a CSV file as UTF-8 (Cyrillic names intact) only after this mark.
BOM = "\ufeff"
# File names: each filter value cut to this many characters, the whole name to FILENAME_MAX.
FILENAME_VALUE_MAX = 40
FILENAME_MAX = 180


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer."""

    def write(self, value):
        return value


# The first characters escape_formula() may act on: any other cell is left as it is, unread.
FORMULA_FIRST = frozenset("'=+-@\t\r")


def _safe_cell(value):
    if type(value) is str:
        return escape_formula(value) if value[:1] in FORMULA_FIRST else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape_formula(str(value))


# In the cells of a column joined by line breaks, after a line break: a cell escape_formula()
# may act on, or a line of a cell starting with one of its characters (the column is then
# read cell by cell).
MAY_ESCAPE = re.compile("\n[" + re.escape("".join(sorted(FORMULA_FIRST))) + "]")


def safe_column(values):
    """`_safe_cell` of each value of a column (csv.writer writes None as "", as `_safe_cell`
    does). A column of text none of whose cells starts as a formula, or of whole numbers not
    below zero, is left as it is, without reading it cell by cell."""
    types = set(map(type, values))
    if types <= {str, type(None)}:
        if MAY_ESCAPE.search("\n" + "\n".join(filter(None, values))) is None:
            return values
    elif types == {int} and min(values) >= 0:
        return values
    return [
        value
        if value is None or (value.__class__ is str and value[:1] not in FORMULA_FIRST)
        else _safe_cell(value)
        for value in values
    ]


# CSV columns, derived from the shape's fields.


def _is_link(serializer):
    """A related record: {"id", "name" or "title", "url"}."""
    names = set(serializer.fields)
    return isinstance(serializer, serializers.Serializer) and names in (
        {"id", "name", "url"},
        {"id", "title", "url"},
    )


def _link_name(link):
    return link.get("name", link.get("title", ""))


def _ids_cell(items):
    return _joined(item["id"] for item in items)


def _names_cell(items):
    return _joined(_link_name(item) for item in items)


def _source_ids_cell(citations):
    return _joined(source["id"] for source in _citation_sources(citations))


def _source_urls_cell(citations):
    return _joined(source["url"] or "" for source in _citation_sources(citations))


def _joined(values):
    return LIST_SEPARATOR.join("" if value is None else str(value) for value in values)


# What a list's parts hold that CSV reads: `_label`'s keys (and each part's partial dates),
# `id` for `<field>_ids`, `name` or `title` for a related record's `<field>_names`.
CSV_ITEM_KEYS = ("id", "label", "name", "title", "kind_label", "law")
CSV_ITEM_KEYS += ("description", "summary", "applies_to")  # as LABEL_TEXT_KEYS below


def csv_item_keeps(child):
    """Whether CSV reads field `name` of a list's part `child` (tracker.shape_rows builds no
    more than that)."""

    def keep(name, field):
        if _is_link(child):
            return name != "url"
        return name in CSV_ITEM_KEYS or isinstance(field, shapes.PartialDateField)

    return keep


# The keys `_label` reads a part's name from, and its text, the first of each that is set.
LABEL_NAME_KEYS = ("name", "title", "kind_label")
LABEL_TEXT_KEYS = ("description", "summary", "applies_to")


def _label(item):
    """A short text for a part listed in one cell: a designation, a penalty, a charge…"""
    if item.get("label"):  # the part says itself how it reads (Charge.label)
        return item["label"]
    name = next((item[key] for key in LABEL_NAME_KEYS if item.get(key)), "")
    if isinstance(item.get("law"), dict):
        name = name or item["law"]["title"]
    dates = [value["display"] for value in item.values() if _is_partial_date(value)]
    text = next((item[key] for key in LABEL_TEXT_KEYS if item.get(key)), "")
    return part_label(name, dates[0] if dates else None, text)


def part_label(name, date, text):
    """A part's label from its name, the display of its first known date (or None) and its
    text (see `_label`)."""
    label = name + (f" ({date})" if date is not None else "")
    return f"{label}: {text}" if label and text else label or text


def _is_partial_date(value):
    return isinstance(value, dict) and "precision" in value and "display" in value


def _citation_sources(citations):
    """Each cited source once, in citation order."""
    return list({citation["source"]["id"]: citation["source"] for citation in citations}.values())


def csv_columns(shape):
    """[(header, cell(data))] for a shape: one or more columns per field of the shape.

    A partial date gives `<field>` (ISO, as precise as known) and `<field>_precision`; a
    country `<field>` (its code) and `<field>_name`; a related record `<field>_id` and
    `<field>_name`; several related records `<field>_ids` and `<field>_names`; citations
    `source_ids` and `source_urls` (the original documents, empty where there is none);
    other lists (aliases, designations, charges, events…) one cell of labels, with
    `<field>_ids` when their items have ids. Several values are joined by LIST_SEPARATOR.
    """
    columns = []
    for name, field in shape().fields.items():
        if isinstance(field, shapes.PartialDateField):
            columns += [
                (name, lambda d, n=name: d[n] and d[n]["date"]),
                (f"{name}_precision", lambda d, n=name: d[n] and d[n]["precision"]),
            ]
        elif isinstance(field, shapes.CountryField):
            columns += [
                (name, lambda d, n=name: d[n] and d[n]["code"]),
                (f"{name}_name", lambda d, n=name: d[n] and d[n]["name"]),
            ]
        elif name == "citations":
            columns += [
                ("source_ids", lambda d: _source_ids_cell(d["citations"])),
                ("source_urls", lambda d: _source_urls_cell(d["citations"])),
            ]
        elif isinstance(field, serializers.ListSerializer):
            child = field.child
            if _is_link(child):
                columns += [
                    (f"{name}_ids", lambda d, n=name: _ids_cell(d[n])),
                    (f"{name}_names", lambda d, n=name: _names_cell(d[n])),
                ]
                continue
            if "id" in child.fields:
                columns.append(
                    (f"{name}_ids", lambda d, n=name: _joined(item["id"] for item in d[n]))
                )
            columns.append((name, lambda d, n=name: _joined(_label(item) for item in d[n])))
        elif isinstance(field, serializers.Serializer) and _is_link(field):
            columns += [
                (f"{name}_id", lambda d, n=name: d[n] and d[n]["id"]),
                (f"{name}_name", lambda d, n=name: d[n] and _link_name(d[n])),
            ]
        else:
            columns.append((name, lambda d, n=name: d[n]))
    return columns


# Streaming


def _records(queryset, shape, request):
    """(rows, complete): the shapes of the records, the first chunk of them read now, in the
    view, and the rest while streaming; whether the first chunk was all of them.

    A database error in the view can still become an error page (or a retry, tracker.db.retry);
    once streaming has begun it can only cut the download short. An export of at most
    CHUNK_SIZE rows is read entirely here.
    """
    serializer = shape(context={"request": request})
    rows = (serializer.to_representation(obj) for obj in queryset.iterator(chunk_size=CHUNK_SIZE))
    first = list(itertools.islice(rows, CHUNK_SIZE + 1))  # one more: reach the end if it is there
    return itertools.chain(first, rows), len(first) <= CHUNK_SIZE


def _download(content, content_type, filename, disposition="attachment", complete=False):
    """The file: written whole in the view when its records were all read there (`complete`),
    streamed otherwise.

    A whole file is an answer like a page's: it has a Content-Length, and the page cache
    (`tracker.caching`) records the tables its queries read, so its ETag and a kept copy
    (up to the cache's size limit) last while those tables are unchanged. A streamed file
    is read after the view returns: it depends on every table."""
    if complete:
        response = HttpResponse("".join(content), content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


class CsvRows:
    """The CSV cells of chunks of records (`tracker.shape_rows.csv_chunks`), a list of columns
    per chunk, not yet escaped: `csv_lines` writes them without `csv_columns`."""

    def __init__(self, chunks):
        self.chunks = chunks

    def __iter__(self):
        return iter(self.chunks)


def _flat_records(queryset, shape, request):
    """(rows, complete): the CSV rows of the records (`tracker.shape_rows`), the first chunk
    read now (as `_records` does), only that one: its parts stay in memory until it is
    written. A first chunk of fewer than CHUNK_SIZE records is all of them."""
    chunks = shape_rows.csv_chunks(queryset, shape, {"request": request})
    first = list(itertools.islice(chunks, 1))
    # A chunk is a list of columns, each a sequence of one cell per record.
    complete = not first or len(first[0][0]) < shape_rows.CHUNK_SIZE
    return CsvRows(itertools.chain(first, chunks)), complete


def csv_response(request, queryset, shape, filename):
    """One row per record, columns from `csv_columns`; UTF-8 with a byte order mark.

    The cells come column by column from `values_list()` (`tracker.shape_rows`), not from
    the serializers: the same bytes, many times faster."""
    columns = csv_columns(shape)
    rows, complete = _flat_records(queryset, shape, request)
    return _download(
        csv_lines(columns, rows), "text/csv; charset=utf-8", f"{filename}.csv", complete=complete
    )


def csv_lines(columns, records):
    """The CSV text of `records` (shapes, or `CsvRows`): the byte order mark and header, then
    a row per record, in pieces of LINES_PER_PIECE rows (a piece per row would be a write to
    the socket per row)."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([header for header, _ in columns])
    if isinstance(records, CsvRows):
        yield from _csv_pieces(records)
        return
    cells = [cell for _, cell in columns]
    records = iter(records)
    while piece := list(itertools.islice(records, LINES_PER_PIECE)):
        yield "".join(
            writer.writerow([_safe_cell(cell(record)) for cell in cells]) for record in piece
        )


def _csv_pieces(chunks):
    """The text of chunks of columns of cells, escaped a column at a time, LINES_PER_PIECE
    rows a piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for columns in chunks:
        rows = list(zip(*map(safe_column, columns), strict=True))
        for start in range(0, len(rows), LINES_PER_PIECE):
            writer.writerows(rows[start : start + LINES_PER_PIECE])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()


def json_response(request, queryset, shape, filename):
    """A JSON array of shapes."""
    rows, complete = _records(queryset, shape, request)

    def generate():
        yield "["
        for index, row in enumerate(rows):
            yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
        yield "\n]\n"

    return _download(
        generate(),
        "application/json; charset=utf-8",
        f"{filename}.json",
        disposition="inline",
        complete=complete,
    )


def jsonl_response(request, queryset, shape, filename):
    """JSON Lines: one shape per line (a JSON string never holds a raw line break)."""
    rows, complete = _records(queryset, shape, request)

    def generate():
        for row in rows:
            yield json.dumps(row, ensure_ascii=False) + "\n"

    return _download(
        generate(), "application/jsonl; charset=utf-8", f"{filename}.jsonl", complete=complete
    )


EXPORTERS = {"csv": csv_response, "json": json_response, "jsonl": jsonl_response}


def _file_part(value):
    if hasattr(value, "slug"):
        value = value.slug
    elif isinstance(value, datetime.date):
        value = value.isoformat()
    elif hasattr(value, "code"):  # a country
        value = value.code
    text = slugify(anyascii(str(value)))
    return text[:FILENAME_VALUE_MAX].strip("-")


def export_filename(name, filterset):
    """What was exported, filtered how, and when: e.g.
    `designations_law-undesirable-organisations-law_country-RU_2026-11-22`.

    Only the filters applied (valid and not empty) are named, in the form's order; a country
    code keeps its capitals.
    """
    parts = [name]
    form = filterset.form
    form.is_valid()  # cleans the form: the values refused (and ignored) are left out
    data = getattr(form, "cleaned_data", {})
    for field in form.fields:
        value = data.get(field)
        if value in (None, ""):
            continue
        text = value if field in ("country", "jurisdiction") else _file_part(value)
        text = re.sub(r"[^A-Za-z0-9-]", "", str(text))
        if text:
            parts.append(f"{field.replace('_', '-')}-{text}")
    today = timezone.now().date().isoformat()
    return "_".join(parts)[: FILENAME_MAX - len(today) - 1] + "_" + today
