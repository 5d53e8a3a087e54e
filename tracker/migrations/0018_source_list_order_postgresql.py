"""The source list's order as PostgreSQL reads it (0011 made the index SQLite reads).

PostgreSQL keeps NULLs first in a descending index, so `source_list_order` does not give the
list's order (newest first, undated last): it sorted every public source to show fifty, testing
each against the visibility rule first. This index, NULLS LAST as the list asks, lets it walk
the sources in order and stop at a page of public ones.
"""

from django.db import migrations

INDEX = "source_list_order_nulls_last"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite refuses NULLS LAST in an index; 0011's index serves it
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "tracker_source" '
        '("published_date" DESC NULLS LAST, "title", "id")'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0017_case_list_date_index_sqlite"),
    ]

    operations = [
        migrations.RunPython(add_index, drop_index),
    ]
