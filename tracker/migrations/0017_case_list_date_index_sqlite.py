"""The case list by date on SQLite, from an index too (migration 0013 made PostgreSQL's)."""

from django.db import migrations

# SQLite sorts NULL first, so this index read backwards gives newest first with undated
# cases last: the list's default order reads a page without sorting every published case.
INDEX = "case_list_by_date"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" '
            'ON "tracker_case" ("state", "latest_event_date", "id")'
        )
        # Without statistics SQLite takes a new index on `state` for a selective one and
        # would read every published case through it (a person's cases, say): measure it.
        schema_editor.execute('ANALYZE "tracker_case"')


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0016_search_names"),
    ]

    operations = [
        migrations.RunPython(add_index, drop_index),
    ]
