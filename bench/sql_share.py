"""How much of a page's time is its SQL: each kind of public page rendered in process, then
the very statements it ran replayed on a plain sqlite3 connection, every row fetched.

For each kind of page of `make bench`'s render-time table (home, every public list over random
filters and pages, every detail page, search) it renders --count random addresses through
Django's test client with the page cache off, after a few others to warm up, capturing the
page's queries; then it runs those queries again through Python's sqlite3 module, without
Django. It prints the median of each and the SQL's share, then the medians of the time Django
spent compiling the page's querysets into SQL (`SQLCompiler.as_sql()`), loading their rows
(`QuerySet._fetch_all()`: compiling, the SQL, model instances and prefetches) and rendering
its templates (`Template.render()`, without the rows a template's lazy querysets load: a
list's page reads them as it is drawn). The rest is the middleware, the view's own work and
the queries that load no rows into instances (counts, values).

With --cold every cache is emptied before each address (as the first reader after an editor's
save meets a page); by default the parts cached per data version (the filter form's selects, a
list's count…) stay warm, as in `make bench`'s render-time table.
With --by-filter it also prints, for each list, the medians per set of filters given (the
addresses with `?country=…&page=…` apart from those with `?status=…`) and the slowest address
of each: a filter the database answers slowly (no index for it) stands out.

Run from the repository root on a copy of the synthetic database (SQLite only):
    SECRET_KEY=$(cat .secret_key) DATABASE_URL=sqlite:////tmp/copy.sqlite3 \\
        .venv/bin/python bench/sql_share.py [--count 40] [--cold] [--by-filter]
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The test settings: static files without `collectstatic`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["PAGE_CACHE"] = "0"

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.db.models.sql.compiler import SQLCompiler  # noqa: E402
from django.template.base import Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.management.commands.site_benchmark import Command as SiteBenchmark  # noqa: E402
from bench.management.commands.site_benchmark import (  # noqa: E402
    replayed_seconds,
    sqlite_connection,
)
from bench.timers import Outermost  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--cold", action="store_true", help="empty every cache before each")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--by-filter", action="store_true", help="lists: medians per filter")
    args = parser.parse_args()
    if connection.vendor != "sqlite":
        sys.exit("bench/sql_share.py replays the SQL on SQLite: give it a sqlite:/// DATABASE_URL.")
    plain = sqlite_connection(connection.settings_dict["NAME"])
    client = Client(HTTP_HOST="localhost")
    # The addresses of `make bench`'s render-time table: home, every list (random filters and
    # pages), every detail page, search.
    benchmark = SiteBenchmark()
    benchmark.rng = random.Random(args.seed)  # noqa: S311 - a repeatable draw of addresses
    for kind, page_name, urls in benchmark.render_pages(args.count):
        if not urls:
            continue
        for url in urls[:3]:
            client.get(url)
        page, sql, compiling, loading, templates = [], [], [], [], []
        queries, by_filter = 0, {}
        for url in urls:
            if args.cold:
                for cache in caches.all():
                    cache.clear()
            drawn = Outermost(Template, "render")
            with (
                CaptureQueriesContext(connection) as captured,
                Outermost(SQLCompiler, "as_sql") as compiled,
                Outermost(QuerySet, "_fetch_all", within=drawn) as loaded,
                drawn,
            ):
                started = time.perf_counter()
                response = client.get(url)
                page.append((time.perf_counter() - started) * 1000)
            compiling.append(compiled.seconds * 1000)
            loading.append(loaded.seconds * 1000)
            # A list's rows are loaded as its template reads them: that is loading, not drawing.
            templates.append((drawn.seconds - loaded.seconds_within) * 1000)
            assert response.status_code == 200, url
            sql.append(replayed_seconds(plain, captured.captured_queries) * 1000)
            queries = max(queries, len(captured.captured_queries))
            by_filter.setdefault(filters_of(url), []).append((page[-1], sql[-1], url))
        page_ms, sql_ms = statistics.median(page), statistics.median(sql)
        shares = [
            ("its SQL alone", sql_ms),
            ("compiling it", statistics.median(compiling)),
            ("loading rows", statistics.median(loading)),
            ("templates", statistics.median(templates)),
        ]
        print(
            f"{page_name:20} page {page_ms:6.2f} ms  "
            + "  ".join(f"{name} {ms:5.2f} ms ({ms / page_ms:3.0%})" for name, ms in shares)
            + f"  queries {queries}"
        )
        if args.by_filter and kind == "list":
            for filters, rows in sorted(by_filter.items()):
                slowest = max(rows)
                print(
                    f"  {filters:34} {len(rows):3} addresses   page "
                    f"{statistics.median(row[0] for row in rows):7.2f} ms   its SQL "
                    f"{statistics.median(row[1] for row in rows):6.2f} ms   slowest "
                    f"{slowest[0]:.0f} ms ({slowest[1]:.0f} SQL) {slowest[2]}"
                )


def filters_of(url):
    """The names of the filters an address gives, sorted, without `page` ("-" for none)."""
    names = sorted(name for name in parse_qs(urlsplit(url).query) if name != "page")
    return "&".join(names) or "-"


if __name__ == "__main__":
    main()
