from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0025_case_status_one_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["title", "id"], name="case_by_title"),
        ),
    ]
