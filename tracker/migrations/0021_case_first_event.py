"""Each case's first event date, kept on the case beside its latest: the law page's chart
of cases per year groups the cases by it instead of finding each case's first event."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


# SQLite adds a column with a default by remaking the table, which drops the indexes migrations
# 0017 and 0019 made in SQL (Django's model state does not know them): made again after.
SQLITE_CASE_INDEXES = {
    "case_list_by_date": '"state", "latest_event_date", "id"',
    "case_list_by_status_date": '"state", "status", "latest_event_date", "id"',
}


def restore_sqlite_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, columns in SQLITE_CASE_INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "tracker_case" ({columns})')
    schema_editor.execute('ANALYZE "tracker_case"')  # see 0017


def fill_first_event(apps, schema_editor):
    """Case.refresh_event_dates (its first-event half), with the migration's models."""
    Case = apps.get_model("tracker", "Case")
    CaseEvent = apps.get_model("tracker", "CaseEvent")
    first = CaseEvent.objects.filter(case=OuterRef("pk"), date__isnull=False).order_by(
        "date", "id"
    )
    Case.objects.update(
        first_event_date=Subquery(first.values("date")[:1]),
        first_event_date_precision=Coalesce(
            Subquery(first.values("date_precision")[:1]), Value("")
        ),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0020_charge_law_case'),
    ]

    operations = [
        # Undone last: removing the fields remakes the table again.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_indexes),
        migrations.AddField(
            model_name='case',
            name='first_event_date',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='first_event_date_precision',
            field=models.CharField(blank=True, choices=[('day', 'Exact day'), ('month', 'Month only'), ('year', 'Year only'), ('approximate', 'Approximate year')], editable=False, max_length=12),
        ),
        migrations.AddField(
            model_name='historicalcase',
            name='first_event_date',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalcase',
            name='first_event_date_precision',
            field=models.CharField(blank=True, choices=[('day', 'Exact day'), ('month', 'Month only'), ('year', 'Year only'), ('approximate', 'Approximate year')], editable=False, max_length=12),
        ),
        migrations.RunPython(restore_sqlite_indexes, migrations.RunPython.noop),
        migrations.RunPython(fill_first_event, migrations.RunPython.noop, elidable=True),
    ]
