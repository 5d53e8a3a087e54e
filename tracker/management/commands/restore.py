"""Load a backup made by `manage.py backup` into a new, empty database."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tracker import backup


class Command(BaseCommand):
    help = (
        "Check FILE (a backup from `manage.py backup`) from end to end, migrate the database "
        "if it is new, and load every table in one transaction with the original ids, then "
        "rebuild the search index. Refuses a damaged or foreign file and a database that "
        "already holds records or users. --check only reads and checks the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup to load (plain or .gz)")
        parser.add_argument(
            "--check", action="store_true", help="check the file and list its tables; load nothing"
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            header, counts = backup.check_file(options["file"])
            if options["check"]:
                self._report(counts)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{options['file']} is a complete backup made at {header['created_at']}."
                    )
                )
                return
            backup.migrate_if_needed(stdout=self.stdout)
            backup.check_empty()
            loaded = backup.load_backup(options["file"])
        except backup.BackupError as error:
            raise CommandError(f"{error} Nothing was restored.") from error
        except DatabaseError as error:  # the transaction is rolled back
            raise CommandError(
                f"The database refused the backup ({error}). Nothing was restored."
            ) from error
        self._report(loaded)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(loaded.values())} rows made at {header['created_at']} "
                f"in {elapsed:.1f} s; the search index is rebuilt."
            )
        )

    def _report(self, counts):
        width = max(map(len, counts), default=0)
        for label, count in counts.items():
            self.stdout.write(f"{label:<{width}}  {count:>9}")
