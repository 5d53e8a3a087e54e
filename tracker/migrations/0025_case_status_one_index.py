"""One index on a case's status, not two.

`status` had `db_index=True` and `Index(fields=["status"])` in the model's Meta: two identical
indexes (on PostgreSQL a third, for LIKE), all written at every save of a case. The field's own
go, on the cases and on their history (which nothing reads by status). They are dropped in SQL:
`AlterField` would have SQLite remake both tables and lose the indexes made in SQL (0017, 0019,
0023, 0024).
"""

from django.db import migrations, models

# Django's names for the field's indexes, the same on every database.
DROPPED = {
    "sqlite": [
        ("tracker_case_status_bd44ffa8", "tracker_case"),
        ("tracker_historicalcase_status_68059f0f", "tracker_historicalcase"),
    ],
}
DROPPED["postgresql"] = [
    *DROPPED["sqlite"],
    *((f"{name}_like", table) for name, table in DROPPED["sqlite"]),
]
STATUSES = [
    ("investigation", "Under investigation"),
    ("pretrial", "In pre-trial detention"),
    ("trial", "On trial"),
    ("convicted", "Convicted"),
    ("released", "Released"),
    ("exile", "In exile"),
    ("deceased", "Deceased"),
    ("closed", "Closed"),
    ("unknown", "Unknown"),
]


def drop_indexes(apps, schema_editor):
    for name, _table in DROPPED.get(schema_editor.connection.vendor, []):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def make_indexes(apps, schema_editor):
    for name, table in DROPPED.get(schema_editor.connection.vendor, []):
        column = '"status" varchar_pattern_ops' if name.endswith("_like") else '"status"'
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({column})')


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0024_covering_list_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, make_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="status",
                    field=models.CharField(choices=STATUSES, default="unknown", max_length=20),
                )
                for model in ("case", "historicalcase")
            ],
        ),
    ]
