"""Sources get a publication state. A source is public while a published record cites it, or
when a publisher publishes it on its own. Every source recorded before was public: it stays
published (its history too, so no change log reports a move); new sources start as drafts."""

from django.db import migrations, models


def publish_existing(apps, schema_editor):
    for name in ("Source", "HistoricalSource"):
        apps.get_model("tracker", name).objects.update(state="published")


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0007_source_url_key'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='source',
            options={'default_permissions': ('add', 'change', 'delete', 'view', 'publish'), 'ordering': [models.OrderBy(models.F('published_date'), descending=True, nulls_last=True), 'title', 'id']},
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='state',
            field=models.CharField(choices=[('draft', 'Draft'), ('review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn')], db_index=True, default='draft', help_text='Only published records are public. Editors send a checked draft to review; a publisher publishes it, or withdraws it from the site later.', max_length=20, verbose_name='publication'),
        ),
        migrations.AddField(
            model_name='source',
            name='state',
            field=models.CharField(choices=[('draft', 'Draft'), ('review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn')], db_index=True, default='draft', help_text='Only published records are public. Editors send a checked draft to review; a publisher publishes it, or withdraws it from the site later.', max_length=20, verbose_name='publication'),
        ),
        migrations.RunPython(publish_existing, migrations.RunPython.noop),
    ]
