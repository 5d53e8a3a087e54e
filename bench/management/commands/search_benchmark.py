"""Time the search page over a synthetic record of 100,000 cases (built once, then reused)."""

import statistics
import time

from anyascii import anyascii
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import synthetic
from tracker import search
from tracker.models import Law, Organisation, Person


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = (
        "Build a synthetic data set (default 100,000 cases, 10,000 organisations, 5,000 "
        "people) in the database DATABASE_URL points at — which must be empty or hold an "
        "earlier synthetic set — then time 24 representative queries through /search/ and "
        "report the median and 95th percentile."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=synthetic.Scale.cases)
        parser.add_argument("--organisations", type=int, default=synthetic.Scale.organisations)
        parser.add_argument("--people", type=int, default=synthetic.Scale.people)
        parser.add_argument("--sources", type=int, default=synthetic.Scale.sources)
        parser.add_argument("--repeat", type=int, default=15, help="timed runs per query")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        self.ensure_data(options)
        client = Client(HTTP_HOST="localhost", raise_request_exception=True)
        rows, timings = [], []
        for label, query in self.queries():
            client.get("/search/", {"q": query})  # warm caches, as a repeat visitor would
            runs = []
            for _ in range(options["repeat"]):
                started = time.perf_counter()
                client.get("/search/", {"q": query})
                runs.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as captured:
                client.get("/search/", {"q": query})
            timings += runs
            cleaned = search.clean_query(query)
            total = sum(group.count for group in search.find(cleaned)) if cleaned.terms else 0
            rows.append(
                (
                    label,
                    query,
                    statistics.median(runs),
                    percentile(runs, 0.95),
                    total,
                    len(captured),
                )
            )
        self.report(rows, timings)

    def ensure_data(self, options):
        scale = synthetic.Scale(
            cases=options["cases"],
            organisations=options["organisations"],
            people=options["people"],
            sources=options["sources"],
        )
        try:
            synthetic.ensure(scale, seed=options["seed"], log=self.stdout.write)
        except synthetic.RealRecordsError as error:
            raise CommandError(str(error)) from error

    def queries(self):
        """24 queries from the data set: names, acronyms, both scripts, numbers, typos, junk."""
        org = Organisation.objects.filter(slug__startswith="syn-org-").exclude(short_name="")
        org = org.order_by("pk")[1]
        cyrillic_org = Organisation.objects.filter(slug="syn-org-10").first()
        aliased_org = (
            Organisation.objects.filter(aliases__kind="transliteration").order_by("pk").first()
        )
        person = Person.objects.filter(aliases__isnull=False).order_by("pk").first()
        laws = list(Law.objects.filter(slug__startswith="syn-law-").order_by("pk")[:3])
        return [
            ("organisation, exact name", org.name),
            ("organisation, acronym", org.short_name.lower()),
            ("organisation, Latin for Cyrillic name", anyascii(cyrillic_org.name)),
            ("organisation, Cyrillic alias", aliased_org.aliases.first().name),
            ("organisation, name prefix", org.name.split()[0][:5]),
            ("person, Latin name", person.name),
            ("person, Cyrillic name", person.aliases.first().name),
            ("person, other romanisation", "Aleksey Ivanov"),
            ("person, surname only", "Shcherbakova"),
            ("law, article number", laws[0].number),
            ("law, administrative article", laws[1].number),
            ("law, federal law number", laws[2].number.replace("-", "")),
            ("law, Cyrillic citation", laws[0].aliases.first().name),
            ("cases, one common word", "court"),
            ("cases, two common words", "lawyer journalist"),
            ("cases, word prefix", "prosec"),
            ("cases, city in Cyrillic", "Калининград"),
            ("quoted phrase", '"District Court"'),
            ("misspelt name (did you mean)", "Kuznetsva Novikv"),
            ("no match", "qwxzv"),
            ("FTS operators", 'NEAR(court) OR "lawyer -*'),
            ("ten words", "treason extremism court lawyer search Perm Tomsk appeal verdict fine"),
            ("single letter", "a"),
            ("number", "2024"),
        ]

    def report(self, rows, timings):
        width = max(len(row[0]) for row in rows)
        self.stdout.write(
            f"\n{'query':<{width}}  {'median ms':>9}  {'p95 ms':>7}  {'results':>8}  {'SQL':>3}"
        )
        for label, _, median, p95, total, queries in rows:
            self.stdout.write(
                f"{label:<{width}}  {median:>9.1f}  {p95:>7.1f}  {total:>8,}  {queries:>3}"
            )
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        self.stdout.write(
            f"\nAll {len(timings)} timed requests on {connection.vendor}: "
            f"median {median:.1f} ms, p95 {p95:.1f} ms (targets: 30 ms, 100 ms)."
        )
