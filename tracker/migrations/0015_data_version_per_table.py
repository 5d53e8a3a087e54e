"""A data version per table (tracker.caching): the one row becomes the "*" row."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0014_alias_kind_law_signature"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="dataversion", name="one_data_version"),
        migrations.AddField(
            model_name="dataversion",
            name="table_name",
            field=models.CharField(default="*", max_length=200, unique=True),
            preserve_default=False,
        ),
    ]
