"""Two list orders by date from an index, newest first and undated last:

- the designation list's default order, the decision date or the register date of a designation
  whose decision is undated (DesignationListFilter). Without an index every published
  designation was read, tested against the visibility rule and its evidence computed, then
  sorted, to show fifty;
- the case list filtered by status (the most used filter): from the cases of that status in
  date order, not all of them sorted.

SQLite sorts NULL first, so its indexes read backwards give newest first with undated last;
PostgreSQL's say DESC NULLS LAST (SQLite refuses NULLS LAST in an index).
"""

from django.db import migrations

DESIGNATION_DATE = 'COALESCE("decision_date", "register_date")'
INDEXES = {
    "sqlite": [
        ("designation_list_by_date", "tracker_designation", f'"state", {DESIGNATION_DATE}, "id"'),
        (
            "case_list_by_status_date",
            "tracker_case",
            '"state", "status", "latest_event_date", "id"',
        ),
    ],
    "postgresql": [
        (
            "designation_list_by_date",
            "tracker_designation",
            f'"state", {DESIGNATION_DATE} DESC NULLS LAST, "id" DESC',
        ),
        (
            "case_list_by_status_date",
            "tracker_case",
            '"state", "status", "latest_event_date" DESC NULLS LAST, "id" DESC',
        ),
    ],
}


def add_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, columns in INDEXES.get(vendor, []):
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')
        if vendor == "sqlite":
            # Without statistics SQLite may take a narrower index for a better one (see 0017).
            schema_editor.execute(f'ANALYZE "{table}"')


def drop_indexes(apps, schema_editor):
    for name, _table, _columns in INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0018_source_list_order_postgresql"),
    ]

    operations = [
        migrations.RunPython(add_indexes, drop_indexes),
    ]
