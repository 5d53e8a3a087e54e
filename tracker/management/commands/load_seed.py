"""Load the shipped seed record into an empty database, and never over existing data."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.history import first_versions
from tracker.models import Case, Law, Organisation, Person, Source
from tracker.search import index

SEED_FIXTURE = settings.BASE_DIR / "fixtures" / "seed.json"


class Command(BaseCommand):
    help = (
        "Load fixtures/seed.json if the database holds no records yet. Loading a fixture "
        "over edited data would overwrite editors' changes, so a non-empty database is left alone."
    )

    def handle(self, *args, **options):
        models = (Source, Organisation, Law, Case, Person)
        if any(model.objects.exists() for model in models):
            self.stdout.write("The database already holds records; the seed record was not loaded.")
            return
        with transaction.atomic():
            call_command("loaddata", str(SEED_FIXTURE), verbosity=options["verbosity"])
            index.rebuild()  # loaddata saves raw, so the search signals leave it to us
            first_versions()  # … and so does the history
            Case.refresh_event_dates()  # … and the cases' dates kept from their events
        self.stdout.write(self.style.SUCCESS("Loaded the seed record."))
