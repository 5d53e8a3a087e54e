"""List indexes that also hold what each list's filter tests, so that SQLite skips the rows
before a late page without reading them from the table.

A list page is the list's index walked in order, each row tested (is it public, does it match
the filters) until the rows before the page are skipped and the page is read. SQLite tests a
row from the index alone when the index holds every column the test reads, and reads the
table only for the rows it returns; otherwise it reads the table for every row it skips. At
100,000 cases, page 16 of `/sources/?kind=news&reliability=unverified` took 4.7 ms of SQL for
fifty rows, 0.6 ms with the source's state and grade in the index; page 7 of
`/designations/?type=extremist` 2.6 ms, 0.4 ms from an index by kind.

- sources: the list's order (`source_list_order`, on the model), and the orders by kind and by
  grade (0023), followed by the state (a source is public when published, or cited by a
  public record: `tracker.models.public`) and the other filter;
- designations: the order by date (0019) followed by the kind, the organisation and the law
  (a designation is public when its organisation and law are), and a new order by kind.

PostgreSQL reads the table for each row an index finds whatever the index holds (short of an
index-only scan), so only the new index by kind is made there; SQLite's indexes are made
again with the same names.
"""

from django.db import migrations, models
from django.db.models import F

DESIGNATION_DATE = 'COALESCE("decision_date", "register_date")'
SOURCE_ORDER = '"published_date" DESC, "title", "id"'
INDEXES = {
    "sqlite": [
        (
            "designation_list_by_date",
            "tracker_designation",
            f'"state", {DESIGNATION_DATE}, "id", "kind", "organisation_id", "law_id"',
        ),
        (
            "designation_list_by_kind",
            "tracker_designation",
            f'"state", "kind", {DESIGNATION_DATE}, "id", "organisation_id", "law_id"',
        ),
        (
            "source_list_by_kind",
            "tracker_source",
            f'"kind", {SOURCE_ORDER}, "state", "reliability"',
        ),
        (
            "source_list_by_reliability",
            "tracker_source",
            f'"reliability", {SOURCE_ORDER}, "state", "kind"',
        ),
    ],
    "postgresql": [
        (
            "designation_list_by_kind",
            "tracker_designation",
            f'"state", "kind", {DESIGNATION_DATE} DESC NULLS LAST, "id" DESC',
        ),
    ],
}
# What the indexes made again replace (0019 and 0023), for going back.
PREVIOUS = {
    "sqlite": [
        ("designation_list_by_date", "tracker_designation", f'"state", {DESIGNATION_DATE}, "id"'),
        ("source_list_by_kind", "tracker_source", f'"kind", {SOURCE_ORDER}'),
        ("source_list_by_reliability", "tracker_source", f'"reliability", {SOURCE_ORDER}'),
    ],
}


def _make(schema_editor, indexes):
    vendor = schema_editor.connection.vendor
    for name, table, columns in indexes.get(vendor, []):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ({columns})')
    if vendor == "sqlite":
        # Without statistics SQLite may take a narrower index for a better one (see 0017).
        for table in ("tracker_designation", "tracker_source"):
            schema_editor.execute(f'ANALYZE "{table}"')


def add_indexes(apps, schema_editor):
    _make(schema_editor, INDEXES)


def restore_indexes(apps, schema_editor):
    new = {name for name, _table, _columns in INDEXES.get(schema_editor.connection.vendor, [])}
    for name in new:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    _make(schema_editor, PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0023_list_filter_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="source", name="source_list_order"),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(
                F("published_date").desc(),
                "title",
                "id",
                "state",
                "kind",
                "reliability",
                name="source_list_order",
            ),
        ),
        migrations.RunPython(add_indexes, restore_indexes),
    ]
