"""PostgreSQL: an index over the whole-name forms, so exact matches are found without a scan.

On a very common word the search lists the newest matches rather than scoring every
one (see `PostgresBackend.ranked`); exact names still come first, and this index finds
them directly. SQLite's FTS5 ranking needs no such index.
"""

from django.db import migrations

INDEX = "tracker_searchentry_exact_forms"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON tracker_searchentry USING gin (string_to_array(exact, '|'))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_search"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
