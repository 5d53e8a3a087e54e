"""The site benchmark: this project against Datasette 0.65 on the same synthetic record.

Run by `make bench` (README "Benchmarks", docs/performance.md) with bench.settings, on the
database DATABASE_URL points at, which must hold the synthetic record (`make bench-data`).

1. Workloads over random addresses. For each workload (case detail, organisation detail,
   filtered case list, search) a list of addresses is drawn from the data, the same records
   or queries for both sides: `/cases/<slug>/` here and the row page
   `/<db>/tracker_case/<pk>` on Datasette, `/cases/?status=…&page=…` here and the filtered
   table page `?status=…&_next=…` there, `/search/?q=…` here and the FTS table search
   `?_search=…` there. wrk (`-c8`) picks one address at random for every request (WRK_SCRIPT
   reads the list), so neither side serves one cached answer again and again. This project
   runs under gunicorn (sync workers) twice: with the page cache off (PAGE_CACHE=0, what a
   reader meets after an edit) and on; Datasette runs as `datasette serve -i` on a copy of
   the SQLite file with FTS enabled on the case title and summary (sqlite-utils). With
   --servers 2 (the PostgreSQL variant) two gunicorn processes serve as two "servers" and
   wrk's connections are split between them.
2. The full CSV export of the published cases, downloaded once from each side while a thread
   samples the resident memory of the serving processes every 20 ms.
3. In-process render times: the test client, page cache off, Django's cache emptied before
   each kind of page, then the median time over random addresses of that kind, and the
   queries to render one with the cache emptied.
4. Floors: what the detail pages and the export take with nothing but what they cannot do
   without. Each detail workload runs again on DRAWN_URLS of its addresses drawn from their
   templates alone (bench.views.drawn_view: each page's context built once per worker, then
   only its template rendered again, the same bytes); and, on SQLite, the export's own SQL
   runs again through Python's sqlite3 module, every row fetched, and its rows are written
   again by Python's csv module. A target beyond its floor cannot be met by reading rows
   faster, only by drawing less for each request.

Each result is checked against its target (WORKLOAD_TARGETS, EXPORT_*, RENDER_TARGETS_MS,
MAX_QUERIES) and the report says by how much it is met or missed. Timings depend on the
machine and whatever else it runs: compare runs made in one go on one machine.
"""

import contextlib
import csv
import dataclasses
import http.client
import io
import math
import os
import random
import shutil
import sqlite3
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

import django_filters
from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.backends.sqlite3._functions import register
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from bench import synthetic
from bench.load_fault import aligned, stop
from bench.urls import BARE_URL, DRAWN_PREFIX
from tracker.choices import State
from tracker.exports import LINES_PER_PIECE
from tracker.models import Case, Organisation
from tracker.models.public import public_models

EXPORT_URL = "/cases/?format=csv"
HOST = "localhost"  # in ALLOWED_HOSTS by default
DATASETTE_DB = "db"  # the copy is db.sqlite3, so Datasette serves it under /db/
MAX_PAGE = 20  # list pages are drawn from 1..20 (fewer when the filter has fewer)
# Detail pages drawn from their templates alone (a floor): how many of the workload's
# addresses, each asked this many times of each server before wrk, so that the workers have
# built their contexts (one that has not builds it once, as the page itself would).
DRAWN_URLS = 50
DRAWN_WARM = 6
DRAWN = ", template alone"  # after the workload's name

# wrk reads the addresses from the file BENCH_URLS names and asks for one at random each
# time; done() prints one machine-readable line (latencies and duration in microseconds).
WRK_SCRIPT = """\
local paths = {}
for line in io.lines(os.getenv("BENCH_URLS")) do paths[#paths + 1] = line end
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
init = function(args)
  math.randomseed(seed or 1)
end
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""

# Workload: (minimum ratio of this project's req/s to Datasette's) — issue 14's targets.
WORKLOAD_TARGETS = {
    "case detail": 4,
    "organisation detail": 4,
    "filtered case list": 3,
    "search": 20,
}
EXPORT_TARGET = 1.5  # Datasette's seconds / this project's seconds
EXPORT_PEAK_MB = 150
RENDER_TARGETS_MS = {"home": 10, "list": 8, "detail": 4}
MAX_QUERIES = 12


# ---------------------------------------------------------------- results and their parsing


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


def parse_wrk(output):
    """The WrkResult from the BENCH line WRK_SCRIPT makes wrk print."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            return WrkResult(*(int(field) for field in line.split()[1:6]))
    raise ValueError(f"No BENCH line in wrk's output:\n{output}")


def combine(results):
    """One WrkResult for wrk runs made at the same time against several servers.

    Requests and errors add up over the longest duration; the median is the mean of the
    medians weighted by requests (an approximation), the 95th percentile the worst one.
    """
    requests = sum(result.requests for result in results)
    median = (
        round(sum(result.median_us * result.requests for result in results) / requests)
        if requests
        else 0
    )
    return WrkResult(
        requests,
        max(result.duration_us for result in results),
        median,
        max(result.p95_us for result in results),
        sum(result.errors for result in results),
    )


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    ours: list  # addresses on this site
    datasette: list  # the same records or queries on Datasette (empty: not compared)


@dataclasses.dataclass(frozen=True)
class WorkloadResult:
    workload: str
    uncached: WrkResult
    cached: WrkResult | None
    datasette: WrkResult | None

    @property
    def ratio(self):
        if self.datasette is None or not self.datasette.requests_per_second:
            return None
        return self.uncached.requests_per_second / self.datasette.requests_per_second


@dataclasses.dataclass(frozen=True)
class ExportResult:
    seconds: float
    bytes: int
    rows: int
    peak_mb: float  # the largest resident set of any serving process during the download
    complete: bool


@dataclasses.dataclass(frozen=True)
class ExportFloor:
    """The export's own SQL run again through sqlite3, every row fetched, and its rows written
    again by Python's csv module: what any export of the same cells from the same SQL takes."""

    sql_seconds: float
    csv_seconds: float

    @property
    def seconds(self):
        return self.sql_seconds + self.csv_seconds


@dataclasses.dataclass(frozen=True)
class RenderResult:
    kind: str  # home, list, detail or search
    page: str  # e.g. "case-list"
    urls: int
    median_ms: float
    p95_ms: float
    queries: int  # the most over the sample, to render with Django's cache emptied
    floor_ms: float | None = None  # a detail page's median drawn from its template alone


# ---------------------------------------------------------------- addresses from the data


def pick_page(rng, rows, page_size, max_page=MAX_PAGE):
    """A page number that exists for `rows` rows: 1 to max_page."""
    return rng.randint(1, max(1, min(max_page, math.ceil(rows / page_size))))


def detail_workload(name, rng, records, table, count):
    """`count` random (pk, address) records: their pages here and their row pages there."""
    chosen = rng.sample(records, min(count, len(records)))
    return Workload(
        name,
        [url for _, url in chosen],
        [f"/{DATASETTE_DB}/{table}/{pk}" for pk, _ in chosen],
    )


def drawn(url):
    """The address of the detail page at `url` drawn from its template alone
    (bench.views.drawn_view)."""
    return DRAWN_PREFIX + url.removeprefix("/")


def drawn_workload(workload):
    """The first DRAWN_URLS addresses of a detail workload, drawn from their templates alone,
    compared with Datasette's row pages of the workload."""
    return Workload(workload.name + DRAWN, list(map(drawn, workload.ours[:DRAWN_URLS])), [])


def sqlite_connection(path):
    """A plain sqlite3 connection to the file at `path`, with the functions Django adds to
    SQLite (dates, …), which the SQL it runs may call."""
    plain = sqlite3.connect(path)
    register(plain)
    return plain


def replayed_seconds(plain, queries):
    """The seconds `plain` takes to run again the statements Django captured (`queries`),
    every row fetched."""
    started = time.perf_counter()
    for query in queries:
        plain.execute(query["sql"]).fetchall()
    return time.perf_counter() - started


def filtered_list_workload(rng, pks_by_status, page_size, table, count):
    """Case lists filtered by status, pages 1 to 20, here and on Datasette.

    Datasette pages by primary key (`_next` is the last pk of the previous page), so page P
    of a status there starts after the pk at position (P - 1) * page_size - 1 of that status,
    in pk order: the same amount of work to skip as here.
    """
    statuses = sorted(status for status, pks in pks_by_status.items() if pks)
    ours, theirs = [], []
    for _ in range(count):
        status = rng.choice(statuses)
        pks = pks_by_status[status]
        page = pick_page(rng, len(pks), page_size)
        ours.append(f"/cases/?{urlencode({'status': status, 'page': page})}")
        query = {"state": State.PUBLISHED, "status": status, "_size": page_size}
        if page > 1:
            query["_next"] = pks[(page - 1) * page_size - 1]
        theirs.append(f"/{DATASETTE_DB}/{table}?{urlencode(query)}")
    return Workload("filtered case list", ours, theirs)


def search_workload(words, page_size, table):
    return Workload(
        "search",
        [f"/search/?{urlencode({'q': word})}" for word in words],
        [
            f"/{DATASETTE_DB}/{table}?"
            + urlencode({"_search": word, "state": State.PUBLISHED, "_size": page_size})
            for word in words
        ],
    )


def choice_filters(view_class, model):
    """{parameter: field} of the list's filters on a field of `model` with fixed choices: what
    a reader picks from a select (a filter through a method of its own is left out)."""
    fields = {field.name for field in model._meta.concrete_fields if field.choices}
    return {
        name: filter_.field_name
        for name, filter_ in view_class.filterset_class.base_filters.items()
        if isinstance(filter_, django_filters.ChoiceFilter)
        and filter_.method is None
        and filter_.field_name in fields
    }


def list_urls(rng, path, counts_by_field, total, page_size, count):
    """`count` addresses of one list: unfiltered or filtered by one field, random pages.

    counts_by_field: {field: {value: published rows with that value}}.
    """
    choices = [(None, None, total)] + [
        (field, value, rows)
        for field, counts in sorted(counts_by_field.items())
        for value, rows in sorted(counts.items())
        if value not in ("", None) and rows
    ]
    urls = []
    for _ in range(count):
        field, value, rows = rng.choice(choices)
        query = {field: value} if field else {}
        query["page"] = pick_page(rng, rows, page_size)
        urls.append(f"{path}?{urlencode(query)}")
    return urls


# ---------------------------------------------------------------- reading and checking


def read_through(path, block=1 << 24):
    """Read the file at `path` to its end (the bytes read), so that the system keeps it in
    memory: Datasette serves a copy written just before, which the system holds already, and
    this project's file might not have been read since it was built. Searches over a file
    not yet read took four times as long (147 ms against 35 in process, 2026-12-07)."""
    size = 0
    with open(path, "rb") as file:
        while piece := file.read(block):
            size += len(piece)
    return size


def number(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def verdict(value, limit, higher_is_better=True):
    """'met' or 'MISSED', and by how much: a factor for ratios."""
    if value is None:
        return "-"
    met = value >= limit if higher_is_better else value <= limit
    factor = value / limit if higher_is_better else (limit / value if value else math.inf)
    return f"{'met' if met else 'MISSED'} ({factor:.2f}x of target)"


def floor_verdict(ratio, target):
    """Whether a floor leaves room for the target, and how much."""
    if ratio is None:
        return ""
    return f"floor {'above' if ratio >= target else 'BELOW'} target ({ratio / target:.2f}x)"


def comparison_table(results, ours_export, their_export, bare=None, export_floor=None):
    """The workloads and the export, this project against Datasette, with the targets; the
    floors (DRAWN workloads, `export_floor`) beside what they are floors of."""
    rows = [
        (
            "workload",
            "req/s",
            "median ms",
            "errors",
            "cached req/s",
            "Datasette req/s",
            "ratio",
            "target",
            "",
        )
    ]
    for result in results:
        ratio = result.ratio
        if result.workload.endswith(DRAWN):  # a floor: the target of the page it draws
            target = WORKLOAD_TARGETS.get(result.workload.removesuffix(DRAWN))
            wanted = f"(>= {target}x)" if target else "-"
            judged = floor_verdict(ratio, target) if target else ""
        else:
            target = WORKLOAD_TARGETS.get(result.workload)
            wanted = f">= {target}x" if target else "-"
            judged = verdict(ratio, target) if target else ""
        rows.append(
            (
                result.workload,
                f"{result.uncached.requests_per_second:.1f}",
                f"{result.uncached.median_ms:.1f}",
                result.uncached.errors,
                f"{result.cached.requests_per_second:.1f}" if result.cached else "-",
                f"{result.datasette.requests_per_second:.1f}" if result.datasette else "-",
                f"{ratio:.2f}x" if ratio is not None else "-",
                wanted,
                judged,
            )
        )
    if ours_export is not None:
        ratio = (
            their_export.seconds / ours_export.seconds
            if their_export and ours_export.seconds
            else None
        )
        rows.append(
            (
                f"CSV export ({ours_export.rows:,} rows)",
                f"{ours_export.seconds:.1f} s",
                "",
                "" if ours_export.complete else "INCOMPLETE",
                "",
                f"{their_export.seconds:.1f} s" if their_export else "-",
                f"{ratio:.2f}x" if ratio is not None else "-",
                f">= {EXPORT_TARGET}x",
                verdict(ratio, EXPORT_TARGET),
            )
        )
        if export_floor is not None:
            ratio = their_export.seconds / export_floor.seconds if their_export else None
            rows.append(
                (
                    f"CSV export: its SQL {export_floor.sql_seconds:.1f} s + csv module "
                    f"{export_floor.csv_seconds:.1f} s",
                    f"{export_floor.seconds:.1f} s",
                    "",
                    "",
                    "",
                    f"{their_export.seconds:.1f} s" if their_export else "-",
                    f"{ratio:.2f}x" if ratio is not None else "-",
                    f"(>= {EXPORT_TARGET}x)",
                    floor_verdict(ratio, EXPORT_TARGET),
                )
            )
        rows.append(
            (
                "export, peak worker RSS",
                f"{ours_export.peak_mb:.0f} MB",
                "",
                "",
                "",
                f"{their_export.peak_mb:.0f} MB" if their_export else "-",
                "",
                f"< {EXPORT_PEAK_MB} MB",
                "met" if ours_export.peak_mb < EXPORT_PEAK_MB else "MISSED",
            )
        )
    if bare is not None:
        rows.append(
            (
                "bare view (ceiling)",
                f"{bare.requests_per_second:.1f}",
                f"{bare.median_ms:.1f}",
                bare.errors,
                "",
                "",
                "",
                "",
                "",
            )
        )
    return aligned(rows)


def render_table(results, bare_ms=None):
    """In-process render times and queries per kind of page, with the targets.

    With `bare_ms`, the median time of the bare view in the same run: a first row gives it,
    and a column each page's median as a multiple of it, which moves less than the
    milliseconds from one machine (or hour) to another. Where detail pages were also drawn
    from their templates alone (`floor_ms`), a last column gives that median: the floor."""
    floors = any(result.floor_ms is not None for result in results)
    rows = [("page", "kind", "URLs", "median ms", "p95 ms", "target", "", "SQL", "")]
    if bare_ms:
        rows[0] += ("x bare",)
        rows.append(("bare view", "-", "-", f"{bare_ms:.2f}", "-", "-", "", "-", "", "1x"))
    if floors:
        rows[0] += ("template alone ms",)
        rows[1:] = [row + ("-",) for row in rows[1:]]
    for result in results:
        target = RENDER_TARGETS_MS.get(result.kind)
        row = (
            result.page,
            result.kind,
            result.urls,
            f"{result.median_ms:.1f}",
            f"{result.p95_ms:.1f}",
            f"<= {target} ms" if target else "-",
            verdict(result.median_ms, target, higher_is_better=False) if target else "",
            result.queries,
            "met" if result.queries <= MAX_QUERIES else f"MISSED (> {MAX_QUERIES})",
        )
        if bare_ms:
            row += (f"{result.median_ms / bare_ms:.0f}x",)
        if floors:
            row += (f"{result.floor_ms:.1f}" if result.floor_ms is not None else "-",)
        rows.append(row)
    return aligned(rows)


def summary(results, ours_export, their_export, renders):
    """How many targets are met, of how many."""
    checks = [
        result.ratio >= WORKLOAD_TARGETS[result.workload]
        for result in results
        if result.workload in WORKLOAD_TARGETS and result.ratio is not None
    ]
    if ours_export is not None:
        checks.append(ours_export.peak_mb < EXPORT_PEAK_MB and ours_export.complete)
        if their_export is not None and ours_export.seconds:
            checks.append(their_export.seconds / ours_export.seconds >= EXPORT_TARGET)
    for render in renders:
        if render.kind in RENDER_TARGETS_MS:
            checks.append(render.median_ms <= RENDER_TARGETS_MS[render.kind])
        checks.append(render.queries <= MAX_QUERIES)
    return f"Targets met: {sum(checks)} of {len(checks)}."


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---------------------------------------------------------------- processes


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
    """GET with the Host header the site accepts; return the response."""
    request = urllib.request.Request(address, headers={"Host": HOST})  # noqa: S310 (http only)
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310


def wait_until_up(process, address, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{address}: the server exited with status {process.returncode}.")
        try:
            with fetch(address, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise CommandError(f"Nothing answered {address} within {timeout} s.")


def warm(bases, paths, times=DRAWN_WARM):
    """Ask every server for each of `paths` `times` times (drawn pages: their contexts built)."""
    for base in bases:
        for path in paths * times:
            with fetch(base + path) as response:
                response.read()


def settle(address, quick_ms=100, timeout=60):
    """Wait until `address` answers within quick_ms: the requests wrk left queued are done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            fetch(address, timeout=timeout) as response,
        ):
            response.read()
        if (time.perf_counter() - started) * 1000 < quick_ms:
            return
        time.sleep(0.2)


def download(address, pids):
    """Download `address` once while sampling the memory of `pids`."""
    complete = True
    with PeakRss(pids) as peak:
        started = time.perf_counter()
        with fetch(address, timeout=900) as response:
            try:
                body = response.read()
            except http.client.IncompleteRead as error:  # the worker died mid-download
                body, complete = error.partial, False
        seconds = time.perf_counter() - started
    rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8", "replace")))) - 1
    return ExportResult(seconds, len(body), rows, peak.peak_mb, complete)


# ---------------------------------------------------------------- the command


class Command(BaseCommand):
    help = (
        "Compare this project with Datasette 0.65 on the synthetic record (make bench-data): "
        "wrk over random addresses per workload, page cache off and on; the full CSV export "
        "with the workers' memory; in-process render times per kind of page; each against "
        "its target. Needs wrk, and Datasette in .venv-datasette for the comparison."
    )

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per run")
        parser.add_argument("--connections", type=int, default=8, help="wrk connections")
        parser.add_argument("--threads", type=int, default=2, help="wrk threads")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
        parser.add_argument(
            "--servers", type=int, default=1, help="gunicorn processes, wrk split among them"
        )
        parser.add_argument("--port", type=int, default=8765, help="first port to use")
        parser.add_argument("--urls", type=int, default=500, help="addresses per workload")
        parser.add_argument("--render-urls", type=int, default=25, help="per kind, in process")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--datasette",
            default=os.environ.get("DATASETTE", ".venv-datasette/bin/datasette"),
            help="the datasette program (sqlite-utils beside it); missing: no comparison",
        )
        parser.add_argument(
            "--sqlite",
            default=os.environ.get("BENCH_SQLITE", ""),
            help="the SQLite file Datasette serves a copy of (default: this database, if SQLite)",
        )
        parser.add_argument(
            "--quick", action="store_true", help="3 s per wrk run and fewer addresses"
        )
        for name in ("cached", "export", "render", "wrk", "floors"):
            parser.add_argument(f"--no-{name}", action="store_true", help=f"skip the {name} part")

    def handle(self, *args, **options):
        if options["quick"]:
            options.update(duration=3, urls=100, render_urls=10)
        wrk = shutil.which("wrk")
        if wrk is None and not options["no_wrk"]:
            raise CommandError("wrk is not installed (apt-get install wrk).")
        if options["connections"] < options["threads"] * options["servers"]:
            raise CommandError("wrk needs at least as many connections as threads per server.")
        if synthetic.has_real_records():
            raise CommandError("This database holds real records; benchmark a synthetic set.")
        if not synthetic.is_synthetic():
            raise CommandError("No synthetic record in this database: run `make bench-data`.")
        self.options = options
        self.rng = random.Random(options["seed"])  # noqa: S311 (which addresses, not secrets)
        database_file = Path(str(connection.settings_dict["NAME"]))
        on_file = connection.vendor == "sqlite" and database_file.is_file()
        if on_file:
            read_through(database_file)
        self.stdout.write(f"Drawing {options['urls']} addresses per workload ...")
        workloads = self.workloads(options["urls"])
        renders, render_bare_ms = [], None
        if not options["no_render"]:
            renders, render_bare_ms = self.render_times(
                options["render_urls"], floors=not options["no_floors"]
            )
        export_floor = None
        if on_file and not (options["no_export"] or options["no_floors"]):
            export_floor = self.export_floor()
        connection.close()  # the servers open their own
        datasette_file = self.datasette_source()
        with tempfile.TemporaryDirectory(prefix="site_benchmark_") as workdir:
            workdir = Path(workdir)
            results, ours_export, their_export, bare = [], None, None, None
            if not options["no_wrk"]:
                results, bare, ours_export = self.run_ours(wrk, workloads, workdir)
            if datasette_file and not options["no_wrk"]:
                results, their_export = self.run_datasette(
                    wrk, workloads, results, datasette_file, workdir
                )
        self.report(
            results,
            ours_export,
            their_export,
            bare,
            renders,
            render_bare_ms,
            datasette_file,
            export_floor,
        )

    # ------------------------------------------------------------ what is asked for

    def published_pks(self, model):
        return list(model.objects.published().order_by("pk").values_list("pk", flat=True))

    def workloads(self, count):
        rng, size = self.rng, settings.PAGE_SIZE
        cases = list(Case.objects.published().order_by("pk").values_list("pk", "slug", "status"))
        organisations = list(
            Organisation.objects.published().order_by("pk").values_list("pk", "slug")
        )
        pks_by_status = {}
        for pk, _, status in cases:
            pks_by_status.setdefault(status, []).append(pk)
        words = sorted(
            {
                *synthetic.CASE_WORDS,
                *(city for city, _ in synthetic.CITIES),
                *(last for last, _ in synthetic.LAST_NAMES),
            }
        )
        return [
            detail_workload(
                "case detail",
                rng,
                [(pk, reverse("tracker:case-detail", args=[slug])) for pk, slug, _ in cases],
                Case._meta.db_table,
                count,
            ),
            detail_workload(
                "organisation detail",
                rng,
                [
                    (pk, reverse("tracker:organisation-detail", args=[slug]))
                    for pk, slug in organisations
                ],
                Organisation._meta.db_table,
                count,
            ),
            filtered_list_workload(rng, pks_by_status, size, Case._meta.db_table, count),
            search_workload([rng.choice(words) for _ in range(count)], size, Case._meta.db_table),
        ]

    def render_pages(self, count):
        """(kind, page name, addresses): home, every public list and detail page, search."""
        rng, size = self.rng, settings.PAGE_SIZE
        pages = [("home", "home", ["/"] * count)]
        details = []
        for model in public_models():
            name = model._meta.model_name
            try:
                path = reverse(f"tracker:{name}-list")
            except NoReverseMatch:
                continue
            published = model.objects.published()
            # The list's own filters on the model's fields with fixed choices (status,
            # country, kind, …), under the names the list takes (a designation's kind is
            # `type`).
            counts = {
                name: dict(published.values_list(field).annotate(n=Count("pk")).order_by())
                for name, field in choice_filters(resolve(path).func.view_class, model).items()
            }
            total = published.count()
            pages.append(("list", f"{name}-list", list_urls(rng, path, counts, total, size, count)))
            if hasattr(model, "get_absolute_url"):
                pks = self.published_pks(model)
                chosen = rng.sample(pks, min(count, len(pks)))
                details.append(
                    (
                        "detail",
                        f"{name}-detail",
                        [record.get_absolute_url() for record in published.filter(pk__in=chosen)],
                    )
                )
        words = [*synthetic.CASE_WORDS, *(last for last, _ in synthetic.LAST_NAMES)]
        search = [f"/search/?{urlencode({'q': rng.choice(words)})}" for _ in range(count)]
        return [*pages, *details, ("search", "search", search)]

    # ------------------------------------------------------------ in process

    def render_times(self, count, floors=True):
        """([RenderResult] per kind of page, the bare view's median ms in the same run); with
        `floors`, detail pages also drawn from their templates alone where the drawn view is
        served."""
        self.stdout.write(f"Rendering {count} addresses per kind of page in process ...")
        client = Client(HTTP_HOST=HOST, raise_request_exception=True)
        results = []
        with override_settings(PAGE_CACHE=False):
            bare_ms = self.bare_render_ms(client, count)
            for kind, page, urls in self.render_pages(count):
                if not urls:
                    continue
                cache.clear()
                queries = 0
                for url in urls[:3]:
                    cache.clear()
                    with CaptureQueriesContext(connection) as captured:
                        self.get_in_process(client, url)
                    queries = max(queries, len(captured))
                timings = self.timed(client, urls)
                floor = None
                if floors and kind == "detail" and self.draws(urls[0]):
                    drawn_urls = list(map(drawn, urls))
                    self.timed(client, drawn_urls)  # each context built
                    floor = statistics.median(self.timed(client, drawn_urls))
                results.append(
                    RenderResult(
                        kind,
                        page,
                        len(urls),
                        statistics.median(timings),
                        percentile(timings, 0.95),
                        queries,
                        floor,
                    )
                )
        return results, bare_ms

    def timed(self, client, urls):
        """Each address's time in process, in ms."""
        timings = []
        for url in urls:
            started = time.perf_counter()
            self.get_in_process(client, url)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    def draws(self, url):
        """Whether the drawn view serves `url` here (bench.urls)."""
        try:
            resolve(drawn(url))
        except Resolver404:
            return False
        return True

    def bare_render_ms(self, client, count):
        """The bare view's median time in process (every middleware, no database, no
        template): the floor of the render-time table. None where it is not served."""
        try:
            resolve(BARE_URL)
        except Resolver404:
            return None
        self.timed(client, [BARE_URL] * 3)
        return statistics.median(self.timed(client, [BARE_URL] * max(count, 100)))

    def export_floor(self):
        """The export's floor (ExportFloor): its statements, captured as it is downloaded in
        process, run again on a plain sqlite3 connection, and its rows (read back from the
        file) written again by csv.writer, LINES_PER_PIECE at a time, as the export does."""
        self.stdout.write(f"Measuring the floor of {EXPORT_URL} in process ...")
        client = Client(HTTP_HOST=HOST, raise_request_exception=True)
        with override_settings(PAGE_CACHE=False), CaptureQueriesContext(connection) as captured:
            response = client.get(EXPORT_URL)
            text = b"".join(response.streaming_content).decode("utf-8-sig")
        plain = sqlite_connection(settings.DATABASES["default"]["NAME"])
        sql_seconds = replayed_seconds(plain, captured.captured_queries)
        plain.close()
        rows = list(csv.reader(io.StringIO(text)))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        started = time.perf_counter()
        for start in range(0, len(rows), LINES_PER_PIECE):
            writer.writerows(rows[start : start + LINES_PER_PIECE])
            buffer.seek(0)
            buffer.truncate()
        return ExportFloor(sql_seconds, time.perf_counter() - started)

    def get_in_process(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code} in process.")
        if response.streaming:
            for _ in response.streaming_content:
                pass

    # ------------------------------------------------------------ this project

    def ports(self):
        first = self.options["port"]
        return [first + n for n in range(self.options["servers"])]

    def start_gunicorn(self, port, page_cache, log):
        command = [sys.executable, "-m", "gunicorn", "tracker.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(self.options["workers"]), "--worker-class", "sync"]
        # A full export streams for a minute or more on a busy machine.
        command += ["--timeout", "900", "--log-level", "warning"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",  # for /bench/bare/
            "PAGE_CACHE": "1" if page_cache else "0",
        }
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603

    @contextlib.contextmanager
    def gunicorn(self, page_cache, workdir):
        log_path = workdir / f"gunicorn-{'cached' if page_cache else 'uncached'}.log"
        with open(log_path, "wb") as log:
            servers = [self.start_gunicorn(port, page_cache, log) for port in self.ports()]
            try:
                for server, port in zip(servers, self.ports(), strict=True):
                    wait_until_up(server, f"http://127.0.0.1:{port}{BARE_URL}")
                self.stdout.write(
                    f"gunicorn: {len(servers)} server(s) x {self.options['workers']} sync "
                    f"workers, page cache {'on' if page_cache else 'off'}"
                )
                yield servers
            finally:
                for server in servers:
                    stop(server)

    def run_ours(self, wrk, workloads, workdir):
        self.settle_path = BARE_URL
        results = {}
        bare = ours_export = None
        modes = [False] if self.options["no_cached"] else [False, True]
        for page_cache in modes:
            with self.gunicorn(page_cache, workdir) as servers:
                bases = [f"http://127.0.0.1:{port}" for port in self.ports()]
                if not page_cache:
                    bare = self.run_wrk(wrk, bases, [BARE_URL], workdir)
                for workload in workloads:
                    self.stdout.write(
                        f"wrk: {workload.name}, page cache {'on' if page_cache else 'off'} ..."
                    )
                    results.setdefault(workload.name, {})[page_cache] = self.run_wrk(
                        wrk, bases, workload.ours, workdir
                    )
                if not page_cache and not self.options["no_floors"]:
                    for workload in workloads:
                        if workload.name.endswith(" detail"):
                            drawn = drawn_workload(workload)
                            self.stdout.write(f"wrk: {drawn.name}, page cache off ...")
                            warm(bases, drawn.ours)
                            results[drawn.name] = {
                                False: self.run_wrk(wrk, bases, drawn.ours, workdir)
                            }
                if not page_cache and not self.options["no_export"]:
                    self.stdout.write(f"Downloading {EXPORT_URL} ...")
                    workers = [pid for server in servers for pid in child_pids(server.pid)]
                    settle(bases[0] + BARE_URL)
                    ours_export = download(bases[0] + EXPORT_URL, workers)
        return (
            [
                WorkloadResult(name, runs[False], runs.get(True), None)
                for name, runs in results.items()
            ],
            bare,
            ours_export,
        )

    def run_wrk(self, wrk, bases, paths, workdir):
        """wrk over `paths` at random, its connections split among the servers at `bases`."""
        for base in bases:  # what an earlier run left queued is not this run's time
            settle(base + self.settle_path)
        urls_file = workdir / "urls.txt"
        urls_file.write_text("".join(f"{path}\n" for path in paths))
        script = workdir / "random.lua"
        script.write_text(WRK_SCRIPT)
        options = self.options
        connections = max(options["threads"], options["connections"] // len(bases))
        runs = [
            subprocess.Popen(  # noqa: S603 (wrk from PATH, arguments built here)
                [
                    wrk,
                    f"-t{options['threads']}",
                    f"-c{connections}",
                    f"-d{options['duration']}s",
                    "--latency",
                    "--timeout",
                    "30s",
                    "-s",
                    str(script),
                    "-H",
                    f"Host: {HOST}",
                    base + paths[0],
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "BENCH_URLS": str(urls_file)},
            )
            for base in bases
        ]
        results = []
        for run in runs:
            out, err = run.communicate(timeout=options["duration"] + 120)
            if run.returncode:
                raise CommandError(f"wrk failed: {err or out}")
            results.append(parse_wrk(out))
        return combine(results)

    # ------------------------------------------------------------ Datasette

    def datasette_source(self):
        """The SQLite file Datasette serves a copy of, or None (with the reason said)."""
        program = Path(self.options["datasette"])
        if not program.exists():
            self.stdout.write(f"No Datasette at {program} (make bench installs it): not compared.")
            return None
        if self.options["sqlite"]:
            return Path(self.options["sqlite"])
        if connection.vendor == "sqlite":
            return Path(settings.DATABASES["default"]["NAME"])
        self.stdout.write("Not SQLite and no BENCH_SQLITE given: Datasette is not compared.")
        return None

    def prepare_copy(self, source, workdir):
        copy = workdir / f"{DATASETTE_DB}.sqlite3"
        self.stdout.write(f"Copying {source.name} for Datasette, with FTS on the cases ...")
        with sqlite3.connect(source) as original, sqlite3.connect(copy) as target:
            original.backup(target)
        sqlite_utils = Path(self.options["datasette"]).with_name("sqlite-utils")
        table = Case._meta.db_table
        subprocess.run(  # noqa: S603 (the tool beside datasette, fixed arguments)
            [str(sqlite_utils), "enable-fts", str(copy), table, "title", "summary"],
            check=True,
            capture_output=True,
        )
        return copy

    def run_datasette(self, wrk, workloads, results, source, workdir):
        copy = self.prepare_copy(source, workdir)
        port = self.options["port"] + self.options["servers"]
        base = f"http://127.0.0.1:{port}"
        command = [self.options["datasette"], "serve", "-i", str(copy)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        with open(workdir / "datasette.log", "wb") as log:
            datasette = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603
            try:
                self.settle_path = "/-/versions.json"
                wait_until_up(datasette, base + self.settle_path)
                runs = {}
                for workload in workloads:
                    self.stdout.write(f"wrk: {workload.name}, Datasette ...")
                    runs[workload.name] = self.run_wrk(wrk, [base], workload.datasette, workdir)
                export = None
                if not self.options["no_export"]:
                    address = f"/{DATASETTE_DB}/{Case._meta.db_table}.csv?" + urlencode(
                        {"_stream": "on", "_size": "max", "state": State.PUBLISHED}
                    )
                    self.stdout.write(f"Downloading {address} from Datasette ...")
                    settle(base + self.settle_path)
                    export = download(base + address, [datasette.pid])
            finally:
                stop(datasette)
        compared = [
            dataclasses.replace(result, datasette=runs.get(result.workload.removesuffix(DRAWN)))
            for result in results
        ]
        return compared, export

    # ------------------------------------------------------------ report

    def report(  # noqa: PLR0913
        self,
        results,
        ours_export,
        their_export,
        bare,
        renders,
        render_bare_ms,
        datasette_file,
        export_floor=None,
    ):
        options = self.options
        page_size = settings.PAGE_SIZE
        self.stdout.write(
            f"\nThis project on {connection.vendor}: {options['servers']} gunicorn server(s) x "
            f"{options['workers']} sync workers; wrk -t{options['threads']} "
            f"-c{options['connections']} -d{options['duration']}s over {options['urls']} random "
            f"addresses per workload; req/s, median and errors with the page cache off "
            f"(PAGE_CACHE=0), 'cached req/s' with it on. Datasette 0.65 (`datasette serve -i`) "
            + (
                f"on a copy of {datasette_file.name} (FTS on the case title and summary); "
                f"{page_size} rows a page on both sides; ratio = this project / Datasette."
                if datasette_file
                else "not compared (see above)."
            )
            + f" Page cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}."
            + "\n"
        )
        if results or ours_export:
            for line in comparison_table(results, ours_export, their_export, bare, export_floor):
                self.stdout.write(line)
        if renders:
            self.stdout.write(
                "\nIn-process render times (test client, page cache off, Django's cache emptied "
                f"before each kind; SQL: the most queries to render one with it emptied, target "
                f"<= {MAX_QUERIES}):\n"
            )
            for line in render_table(renders, render_bare_ms):
                self.stdout.write(line)
        self.stdout.write("\n" + summary(results, ours_export, their_export, renders))
