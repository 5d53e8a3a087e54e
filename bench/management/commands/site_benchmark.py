"""Load-test every kind of public page under gunicorn with wrk, over the synthetic record.

What it measures, on the database DATABASE_URL points at (built once by tracker.synthetic,
100,000 cases; a database holding real records is refused):

- the pages: home, every list unfiltered and with one to three representative filters,
  one detail page of each kind, two searches, the designations feed, and /bench/bare/
  (tracker/bench.py), a view that goes through every middleware but touches neither the
  database nor a template: the ceiling of this stack on this machine;
- queries per request, in this process with the test client: once to render the page
  (Django's cache emptied first) and once for an identical request right after it;
- throughput and latency: gunicorn (sync workers, as `make run` serves) in a subprocess,
  then wrk against each address in turn for --duration seconds. A small Lua script makes
  wrk print one machine-readable line (requests, duration, median, 95th percentile,
  errors), read by parse_wrk(). Requests per second are shown as a fraction of the bare
  view's, which is measured first and again last (the faster run is the ceiling). wrk asks
  for the same address again and again, so it mostly measures the page cache
  (tracker.caching); run with PAGE_CACHE=0 to measure rendering instead;
- the CSV export of every published case, downloaded once through gunicorn while a thread
  samples the resident memory of every gunicorn worker every 20 ms.

Then it checks the targets (TARGETS, EXPORT_PEAK_MB) and says by how much each is met or
missed. Timings depend on the machine and on whatever else it runs: compare runs made on
the same machine, and look at the fractions of the bare view more than at raw numbers.
"""

import contextlib
import csv
import dataclasses
import http.client
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench import synthetic
from tracker.models import Case, CaseEvent, Charge, Designation, Law, Organisation, Person, Source

BARE_URL = "/bench/bare/"
EXPORT_URL = "/cases/?format=csv"
HOST = "localhost"  # in ALLOWED_HOSTS by default

# wrk calls done() once at the end; latencies and the duration are in microseconds.
WRK_SCRIPT = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""

# (what, kind of page, measure, comparison, limit, unit) — see check_targets().
TARGETS = [
    ("detail pages at >= 50% of bare req/s", "detail", "percent", ">=", 50, "%"),
    ("list pages at >= 30% of bare req/s", "list", "percent", ">=", 30, "%"),
    ("list pages, median < 20 ms", "list", "median_ms", "<", 20, " ms"),
    ("detail pages, median < 10 ms", "detail", "median_ms", "<", 10, " ms"),
    ("every page at <= 12 queries to render", None, "queries", "<=", 12, " queries"),
]
EXPORT_PEAK_MB = 150
COMPARISONS = {
    ">=": lambda value, limit: value >= limit,
    "<": lambda value, limit: value < limit,
    "<=": lambda value, limit: value <= limit,
}


@dataclasses.dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    median_us: int
    p95_us: int
    errors: int  # connect, read, write and timeout errors, and responses with status >= 400

    @property
    def requests_per_second(self):
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def median_ms(self):
        return self.median_us / 1000

    @property
    def p95_ms(self):
        return self.p95_us / 1000


@dataclasses.dataclass(frozen=True)
class Page:
    kind: str  # ceiling, home, list, detail, search or feed
    url: str


@dataclasses.dataclass(frozen=True)
class PageResult:
    page: Page
    wrk: WrkResult
    queries: int  # to render the page
    repeat_queries: int  # to serve it again right after

    def percent_of(self, bare):
        return percent_of(self.wrk.requests_per_second, bare.wrk.requests_per_second)

    def measure(self, name, bare):
        if name == "percent":
            return self.percent_of(bare)
        if name == "median_ms":
            return self.wrk.median_ms
        return self.queries


@dataclasses.dataclass(frozen=True)
class ExportResult:
    seconds: float
    bytes: int
    rows: int
    peak_mb: float  # the largest resident set of any gunicorn worker during the download
    before_mb: float  # the largest one just before it
    queries: int
    complete: bool


def parse_wrk(output):
    """The WrkResult from the BENCH line WRK_SCRIPT makes wrk print."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            return WrkResult(*(int(field) for field in line.split()[1:6]))
    raise ValueError(f"No BENCH line in wrk's output:\n{output}")


def percent_of(requests_per_second, bare_requests_per_second):
    if not bare_requests_per_second:
        return 0.0
    return 100 * requests_per_second / bare_requests_per_second


def format_table(results):
    """The results as aligned text lines; the first result must be the bare view's."""
    bare = results[0]
    width = max(len(result.page.url) for result in results)
    lines = [
        f"{'page':<{width}}  {'kind':<7}  {'req/s':>7}  {'% of bare':>9}  {'median ms':>9}  "
        f"{'p95 ms':>7}  {'SQL':>3}  {'SQL again':>9}  {'errors':>6}"
    ]
    for result in results:
        wrk = result.wrk
        lines.append(
            f"{result.page.url:<{width}}  {result.page.kind:<7}  "
            f"{wrk.requests_per_second:>7.1f}  {result.percent_of(bare):>8.0f}%  "
            f"{wrk.median_ms:>9.1f}  {wrk.p95_ms:>7.1f}  {result.queries:>3}  "
            f"{result.repeat_queries:>9}  {wrk.errors:>6}"
        )
    return lines


def number(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def check_target(what, values, comparison, limit, unit):
    """'met' or 'MISSED' for one target over {page: value}, with the worst page and the margin."""
    if not values:
        return f"{'-':<6}  {what}: no such page measured"
    passes = COMPARISONS[comparison]
    pick_worst = min if comparison == ">=" else max
    worst_page, worst = pick_worst(values.items(), key=lambda item: item[1])
    misses = [page for page, value in values.items() if not passes(value, limit)]
    margin = f"{number(abs(worst - limit))}{' points' if unit == '%' else unit}"
    if misses:
        return (
            f"MISSED  {what}: {len(misses)} of {len(values)} pages miss; "
            f"worst {number(worst)}{unit} ({worst_page}), "
            f"{margin} {'short' if comparison == '>=' else 'over'}"
        )
    return f"met     {what}: worst {number(worst)}{unit} ({worst_page}), {margin} to spare"


def check_targets(results, export):
    """One line per target in TARGETS, then one for the export's memory."""
    bare = results[0]
    lines = []
    for what, kind, measure, comparison, limit, unit in TARGETS:
        values = {
            result.page.url: result.measure(measure, bare)
            for result in results[1:]
            if kind is None or result.page.kind == kind
        }
        lines.append(check_target(what, values, comparison, limit, unit))
    what = f"export, peak worker RSS < {EXPORT_PEAK_MB} MB"
    lines.append(check_target(what, {EXPORT_URL: export.peak_mb}, "<", EXPORT_PEAK_MB, " MB"))
    if not export.complete:
        lines.append(
            f"MISSED  export: the download of {EXPORT_URL} stopped after {export.rows:,} rows"
        )
    return lines


def faster(result, wrk):
    """`result` with the wrk run of more requests per second, its own or `wrk`."""
    if wrk.requests_per_second > result.wrk.requests_per_second:
        return dataclasses.replace(result, wrk=wrk)
    return result


def vmrss_mb(status_text):
    """The resident set size in MB from the text of /proc/<pid>/status (0 if absent)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # given in kB
    return 0.0


def parent_pid(stat_text):
    """The parent's pid from the text of /proc/<pid>/stat (the name may hold spaces or ')')."""
    return int(stat_text.rpartition(")")[2].split()[1])


def child_pids(parent):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if parent_pid(stat.read_text()) == parent:
                children.append(int(stat.parent.name))
    return sorted(children)


def rss_mb(pid):
    try:
        return vmrss_mb(Path(f"/proc/{pid}/status").read_text())
    except OSError:  # the process has gone
        return 0.0


class PeakRss(threading.Thread):
    """Samples the resident memory of some processes every `interval` s; keeps the peak."""

    def __init__(self, pids, interval=0.02):
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.peak_mb = 0.0
        self.finished = threading.Event()

    def run(self):
        while not self.finished.is_set():
            self.peak_mb = max([self.peak_mb, *(rss_mb(pid) for pid in self.pids)])
            self.finished.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.finished.set()
        self.join()


def fetch(address, timeout=30):
    """GET through gunicorn with the Host header the site accepts; return the response."""
    request = urllib.request.Request(address, headers={"Host": HOST})  # noqa: S310 (http only)
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310


class Command(BaseCommand):
    help = (
        "Build (once) a synthetic record of 100,000 cases in the database DATABASE_URL points "
        "at, which must be empty or hold an earlier synthetic set; serve it with gunicorn; "
        "load every kind of public page with wrk and report requests per second (also as a "
        "fraction of a bare view), median and 95th percentile latency, queries per request "
        "and the memory of the CSV export, against the targets. Needs wrk on the PATH."
    )

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
        parser.add_argument("--connections", type=int, default=8, help="wrk connections")
        parser.add_argument("--threads", type=int, default=2, help="wrk threads")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed (apt-get install wrk).")
        if options["connections"] < options["threads"]:
            raise CommandError("wrk needs at least as many connections as threads.")
        self.ensure_data(options)
        pages = self.pages()
        self.stdout.write(f"Counting queries for {len(pages)} pages and the CSV export ...")
        client = Client(HTTP_HOST=HOST, raise_request_exception=True)
        queries = {page.url: self.count_queries(client, page.url) for page in pages}
        with CaptureQueriesContext(connection) as export_queries:
            self.get_in_process(client, EXPORT_URL)
        connection.close()  # gunicorn's workers open their own

        base = f"http://127.0.0.1:{options['port']}"
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(WRK_SCRIPT)
            script.flush()
            gunicorn = self.start_gunicorn(options)
            try:
                self.wait_until_up(gunicorn, base + BARE_URL)
                results = []
                for page in pages:
                    self.stdout.write(f"wrk {page.url} ...")
                    for _ in range(2):  # warm up, and check the page answers 200
                        self.get_through(base + page.url)
                    measured = self.run_wrk(wrk, script.name, base + page.url, options)
                    results.append(PageResult(page, measured, *queries[page.url]))
                # The ceiling is measured again last, and the faster run kept: a machine that
                # was busy or cold at the start must not lower the bar every page is held to.
                self.stdout.write(f"wrk {BARE_URL} again ...")
                again = self.run_wrk(wrk, script.name, base + BARE_URL, options)
                results[0] = faster(results[0], again)
                self.stdout.write(f"Downloading {EXPORT_URL} ...")
                export = self.measure_export(gunicorn.pid, base + EXPORT_URL, len(export_queries))
            finally:
                gunicorn.terminate()
                try:
                    gunicorn.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    gunicorn.kill()
                    gunicorn.wait()
        self.report(results, export, options)

    def ensure_data(self, options):
        try:
            synthetic.ensure(seed=options["seed"], log=self.stdout.write)
        except synthetic.RealRecordsError as error:
            raise CommandError(str(error)) from error

    def pages(self):
        """The bare view first, then real addresses from the data: lists, details, searches."""
        organisation = (
            Organisation.objects.published()
            .filter(pk__in=Designation.objects.published().values("organisation"))
            .order_by("pk")
            .first()
        )
        designation = (
            Designation.objects.published().filter(organisation=organisation).order_by("pk")[0]
        )
        case = Case.objects.published().order_by("pk").first()
        charge = Charge.objects.filter(case=case).select_related("law").order_by("pk")[0]
        event = CaseEvent.objects.filter(case=case, date__isnull=False).order_by("pk")[0]
        person = Person.objects.published().order_by("pk").first()
        law = Law.objects.published().order_by("pk").first()
        source = Source.objects.order_by("pk").first()

        def listed(path, **filters):
            return Page("list", f"{path}?{urlencode(filters)}" if filters else path)

        pages = [
            Page("ceiling", BARE_URL),
            Page("home", "/"),
            listed("/organisations/"),
            listed("/organisations/", country="RU", kind="ngo"),
            listed("/organisations/", law=designation.law.slug),
            listed(
                "/organisations/",
                designation=designation.kind,
                year=designation.decision_date.year,
            ),
            listed("/laws/"),
            listed("/laws/", jurisdiction="RU"),
            listed("/laws/", kind=law.kind, jurisdiction="RU"),
            listed("/cases/"),
            listed("/cases/", status=case.status, year=event.date.year),
            listed("/cases/", law=charge.law.slug),
            listed("/cases/", country="RU", status=case.status),
            listed("/people/"),
            listed("/people/", country="RU"),
            listed("/people/", role=person.role, country="RU"),
            listed("/sources/"),
            listed("/sources/", reliability=source.reliability if source else "primary"),
            Page("detail", organisation.get_absolute_url()),
            Page("detail", law.get_absolute_url()),
            Page("detail", case.get_absolute_url()),
            Page("detail", person.get_absolute_url()),
        ]
        if source is not None:
            pages.append(Page("detail", source.get_absolute_url()))
        else:
            self.stdout.write("No sources in this database: no source detail page measured.")
        pages += [
            Page("search", "/search/?q=court"),
            Page("search", f"/search/?{urlencode({'q': organisation.name})}"),
            Page("feed", "/feeds/designations/"),
        ]
        return pages

    def count_queries(self, client, url):
        """Queries to render `url` (Django's cache emptied first), then to serve it again."""
        # This process does not serve /bench/bare/ unless BENCHMARK_VIEWS is set; the bare
        # view's own URLconf reaches it through the same middleware.
        if url == BARE_URL:
            urlconf = override_settings(ROOT_URLCONF="tracker.bench")
        else:
            urlconf = contextlib.nullcontext()
        with urlconf:
            self.get_in_process(client, url)  # per-process caches: content types, templates…
            cache.clear()
            with CaptureQueriesContext(connection) as render:
                self.get_in_process(client, url)
            with CaptureQueriesContext(connection) as repeat:
                self.get_in_process(client, url)
        return len(render), len(repeat)

    def get_in_process(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code} in process.")
        if response.streaming:
            for _ in response.streaming_content:
                pass

    def start_gunicorn(self, options):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "tracker.wsgi",
            "--bind",
            f"127.0.0.1:{options['port']}",
            "--workers",
            str(options["workers"]),
            "--worker-class",
            "sync",
            # As `make run`: a full export of 100,000 cases streams for about 20 s.
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        self.stdout.write(f"Starting {' '.join(['python', *command[1:]])}")
        env = {**os.environ, "BENCHMARK_VIEWS": "1"}
        return subprocess.Popen(command, env=env)  # noqa: S603 (our own interpreter, fixed args)

    def wait_until_up(self, gunicorn, address, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if gunicorn.poll() is not None:
                raise CommandError(f"gunicorn exited with status {gunicorn.returncode}.")
            try:
                with fetch(address, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer {address} within {timeout} s.")

    def get_through(self, address):
        try:
            with fetch(address) as response:
                response.read()
                redirected = response.url != address
        except urllib.error.HTTPError as error:
            raise CommandError(f"{address} answered {error.code} through gunicorn.") from error
        if redirected:
            raise CommandError(f"{address} redirected to {response.url}.")

    def run_wrk(self, wrk, script, address, options):
        command = [
            wrk,
            f"-t{options['threads']}",
            f"-c{options['connections']}",
            f"-d{options['duration']}s",
            "--latency",
            "-s",
            script,
            "-H",
            f"Host: {HOST}",
            address,
        ]
        completed = subprocess.run(  # noqa: S603 (wrk from PATH, arguments built here)
            command, capture_output=True, text=True, timeout=options["duration"] + 60
        )
        if completed.returncode:
            raise CommandError(f"wrk failed: {completed.stderr or completed.stdout}")
        return parse_wrk(completed.stdout)

    def measure_export(self, master_pid, address, queries):
        workers = child_pids(master_pid)
        before = max((rss_mb(pid) for pid in workers), default=0.0)
        complete = True
        with PeakRss(workers) as peak:
            started = time.perf_counter()
            with fetch(address, timeout=600) as response:
                try:
                    body = response.read()
                except http.client.IncompleteRead as error:  # the worker died mid-download
                    body, complete = error.partial, False
            seconds = time.perf_counter() - started
        rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8", "replace")))) - 1
        return ExportResult(seconds, len(body), rows, peak.peak_mb, before, queries, complete)

    def report(self, results, export, options):
        page_cache = "on" if getattr(settings, "PAGE_CACHE", False) else "off (PAGE_CACHE=0)"
        self.stdout.write(
            f"\n{len(results)} pages on {connection.vendor}, page cache {page_cache}, gunicorn "
            f"with {options['workers']} sync workers; wrk -t{options['threads']} "
            f"-c{options['connections']} -d{options['duration']}s per page. SQL: queries to "
            "render the page (cache emptied); SQL again: to serve it again right after.\n"
        )
        for line in format_table(results):
            self.stdout.write(line)
        rates = [result.wrk.requests_per_second for result in results[1:]]
        self.stdout.write(
            f"\nMedian over the {len(rates)} pages: {statistics.median(rates):.1f} req/s "
            f"({percent_of(statistics.median(rates), results[0].wrk.requests_per_second):.0f}% "
            "of bare)."
        )
        self.stdout.write(
            f"\nExport {EXPORT_URL}: {export.rows:,} rows, {export.bytes / 1e6:.1f} MB in "
            f"{export.seconds:.1f} s, {export.queries} queries; peak worker RSS "
            f"{export.peak_mb:.0f} MB ({export.before_mb:.0f} MB before)"
            + ("" if export.complete else "; INCOMPLETE: the worker stopped mid-download")
            + "."
        )
        self.stdout.write("\nTargets:")
        for line in check_targets(results, export):
            self.stdout.write(line)
