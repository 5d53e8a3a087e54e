"""The public lists filtered by one of their choices, in the list's own order, from an index.

Without them the database walked the list's order index (all published rows) and tested each
row against the filter until it had a page: cheap for a common value, slow for a rare one and
a late page. At 100,000 cases, `/cases/?country=TM&page=14` read about 37,000 cases to find
fifty (45 ms of SQL, against about 1 ms for a status, which 0019 indexed).

- organisations by kind or country, people by role or country, in name order: plain indexes,
  declared on the models;
- cases by country, and by country and status (with the country's index alone, a rare status
  in a common country was found by testing each of the country's cases), newest first, undated
  last; sources by kind or grade, in the source list's order: made here in SQL, as 0017, 0018
  and 0019 made theirs (NULLS LAST on PostgreSQL, which SQLite refuses; SQLite sorts NULL
  first, so its index read backwards gives the same order).
"""

from django.db import migrations, models

SOURCE_ORDER = {"sqlite": '"published_date" DESC', "postgresql": '"published_date" DESC NULLS LAST'}
INDEXES = {
    vendor: [
        ("case_list_by_country_date", "tracker_case", f'"state", "country", {case_order}'),
        (
            "case_list_by_country_status_date",
            "tracker_case",
            f'"state", "country", "status", {case_order}',
        ),
        ("source_list_by_kind", "tracker_source", f'"kind", {SOURCE_ORDER[vendor]}, "title", "id"'),
        (
            "source_list_by_reliability",
            "tracker_source",
            f'"reliability", {SOURCE_ORDER[vendor]}, "title", "id"',
        ),
    ]
    for vendor, case_order in (
        ("sqlite", '"latest_event_date", "id"'),
        ("postgresql", '"latest_event_date" DESC NULLS LAST, "id" DESC'),
    )
}
# The tables whose new indexes SQLite should weigh (see 0017).
ANALYZED = ["tracker_case", "tracker_source", "tracker_organisation", "tracker_person"]


def add_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, columns in INDEXES.get(vendor, []):
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')
    if vendor == "sqlite":
        # Without statistics SQLite may take a narrower index for a better one (see 0017).
        for table in ANALYZED:
            schema_editor.execute(f'ANALYZE "{table}"')


def drop_indexes(apps, schema_editor):
    for name, _table, _columns in INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0022_caseevent_year_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(
                fields=["state", "kind", "name", "id"], name="organisation_list_by_kind"
            ),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(
                fields=["state", "country", "name", "id"], name="organisation_list_by_country"
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["state", "role", "name", "id"], name="person_list_by_role"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["state", "country", "name", "id"], name="person_list_by_country"
            ),
        ),
        migrations.RunPython(add_indexes, drop_indexes),
    ]
