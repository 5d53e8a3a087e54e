"""An index in the public source list's order (see Source.Meta.indexes)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0010_login_failure'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='source',
            index=models.Index(models.OrderBy(models.F('published_date'), descending=True), models.F('title'), models.F('id'), name='source_list_order'),
        ),
    ]
