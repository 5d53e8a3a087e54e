"""Fill an empty database with a synthetic record at a chosen scale (for benchmarks)."""

import dataclasses
import time

from django.core.management.base import BaseCommand, CommandError

from bench import synthetic


class Command(BaseCommand):
    help = (
        "Write a deterministic synthetic record (default: 100,000 cases with people, charges "
        "and events; 10,000 organisations with designations; 50,000 sources with citations) "
        "into the database DATABASE_URL points at. Refuses a database that holds real records "
        "or an earlier synthetic set. Never part of the shipped fixtures."
    )

    def add_arguments(self, parser):
        for name, default in dataclasses.asdict(synthetic.Scale()).items():
            parser.add_argument(f"--{name}", type=int, default=default)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        if synthetic.has_real_records():
            raise CommandError("This database holds real records; use an empty database.")
        if synthetic.is_synthetic():
            raise CommandError("This database already holds a synthetic set.")
        scale = synthetic.Scale(
            **{field.name: options[field.name] for field in dataclasses.fields(synthetic.Scale)}
        )
        self.stdout.write(f"Building {scale} ...")
        started = time.perf_counter()
        synthetic.generate(scale, seed=options["seed"], log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"Built in {time.perf_counter() - started:.0f} s."))
