"""CSV and JSON exports of a filtered list, streamed so memory stays flat."""

import csv
import itertools
import json

from django.http import StreamingHttpResponse

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer."""

    def write(self, value):
        return value


def _safe_cell(value):
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _rows(queryset, row_function):
    """The rows, the first chunk of them read now, in the view, and the rest while streaming.

    A database error in the view can still become an error page (or a retry, tracker.db.retry);
    once streaming has begun it can only cut the download short. An export of at most
    CHUNK_SIZE rows is read entirely here.
    """
    rows = (row_function(obj) for obj in queryset.iterator(chunk_size=CHUNK_SIZE))
    first = list(itertools.islice(rows, CHUNK_SIZE + 1))  # one more: reach the end if it is there
    return itertools.chain(first, rows)


def csv_response(queryset, columns, row_function, filename):
    """Stream `row_function(obj)` dicts as CSV, with `columns` as the header."""

    rows = _rows(queryset, row_function)

    def generate():
        writer = csv.writer(_Echo())
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow([_safe_cell(row[column]) for column in columns])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def json_response(queryset, columns, row_function, filename):
    """Stream `row_function(obj)` dicts as a JSON array."""

    rows = _rows(queryset, row_function)

    def generate():
        yield "["
        for index, row in enumerate(rows):
            yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
        yield "\n]\n"

    response = StreamingHttpResponse(generate(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.json"'
    return response


EXPORTERS = {"csv": csv_response, "json": json_response}
