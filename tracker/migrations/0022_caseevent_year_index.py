"""The case list's year filter reads the cases of a year's events from an index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0021_case_first_event'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(fields=['date', 'case'], name='tracker_cas_date_9b3d51_idx'),
        ),
    ]
