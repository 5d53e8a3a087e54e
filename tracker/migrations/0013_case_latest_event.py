"""Each case's latest event date, kept on the case so the case list sorts by date from an index."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


# The case list sorted by date, undated cases last both ways (see Case.Meta.indexes).
DATE_INDEXES = {
    "case_list_newest": '"state", "latest_event_date" DESC NULLS LAST, "id" DESC',
    "case_list_oldest": '"state", "latest_event_date" ASC NULLS LAST, "id" ASC',
}


def add_date_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite refuses NULLS LAST in an index; it sorts the (small) lists it serves
    for name, columns in DATE_INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "tracker_case" ({columns})')


def drop_date_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DATE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def fill_latest_event(apps, schema_editor):
    """Case.refresh_latest_event, with the migration's models."""
    Case = apps.get_model("tracker", "Case")
    CaseEvent = apps.get_model("tracker", "CaseEvent")
    latest = CaseEvent.objects.filter(case=OuterRef("pk"), date__isnull=False).order_by(
        "-date", "-id"
    )
    Case.objects.update(
        latest_event_date=Subquery(latest.values("date")[:1]),
        latest_event_date_precision=Coalesce(
            Subquery(latest.values("date_precision")[:1]), Value("")
        ),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0012_case_state_status'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='latest_event_date',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='latest_event_date_precision',
            field=models.CharField(blank=True, choices=[('day', 'Exact day'), ('month', 'Month only'), ('year', 'Year only'), ('approximate', 'Approximate year')], editable=False, max_length=12),
        ),
        migrations.AddField(
            model_name='historicalcase',
            name='latest_event_date',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalcase',
            name='latest_event_date_precision',
            field=models.CharField(blank=True, choices=[('day', 'Exact day'), ('month', 'Month only'), ('year', 'Year only'), ('approximate', 'Approximate year')], editable=False, max_length=12),
        ),
        migrations.RunPython(fill_latest_event, migrations.RunPython.noop),
        migrations.RunPython(add_date_indexes, drop_date_indexes),
    ]
