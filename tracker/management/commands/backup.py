"""Write a consistent backup of the whole database to a file, while the site runs."""

import time

from django.core.management.base import BaseCommand

from tracker import backup


class Command(BaseCommand):
    help = (
        "Write every record, citation, history row, user, group, second-factor device and "
        "admin log entry to FILE (gzip-compressed when it ends in .gz; - for standard output), "
        "read in one snapshot so edits made meanwhile are either wholly in or wholly out. "
        "`manage.py restore FILE` loads it into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="where to write the backup (.gz to compress, - for stdout)"
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        with backup.open_output(options["file"]) as stream:
            counts = backup.write_backup(stream)
        if options["file"] != "-":  # stdout carries the backup itself
            elapsed = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(
                    f"Backed up {sum(counts.values())} rows of {len(counts)} tables "
                    f"to {options['file']} in {elapsed:.1f} s."
                )
            )
