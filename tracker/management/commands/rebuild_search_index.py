"""Rebuild the search index from the records (after a bulk load that bypassed signals)."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.models import DataVersion
from tracker.search import index


class Command(BaseCommand):
    help = (
        "Rewrite every row of the search index from the records. Edits made through the admin "
        "or the models keep the index in step on their own; run this after loading data in bulk "
        "(loaddata, bulk_create, raw SQL)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        with transaction.atomic():
            counts = index.rebuild()
            DataVersion.bump()  # cached search pages are out of date
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Indexed {summary} in {elapsed:.1f} s."))
