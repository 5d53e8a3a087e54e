"""The site benchmark's pure parts, its choice of pages, and the bare view it measures against.

Neither gunicorn nor wrk runs here: `make bench` does that.
"""

import importlib
import io
import os

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import clear_url_caches

from tests import factories
from tracker import bench, synthetic
from tracker.management.commands import site_benchmark
from tracker.management.commands.site_benchmark import (
    ExportResult,
    Page,
    PageResult,
    WrkResult,
    check_target,
    check_targets,
    faster,
    format_table,
    parent_pid,
    parse_wrk,
    percent_of,
    vmrss_mb,
)
from tracker.models import Citation, Source

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8765/cases/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    16.80ms    4.10ms  60.12ms   80.00%
  Latency Distribution
     50%   16.40ms
     99%   40.00ms
  1200 requests in 3.00s, 30.00MB read
Requests/sec:    399.87
Transfer/sec:     10.00MB
BENCH 1200 3001000 16400 27600 3
"""


def result(url, kind, requests_per_second, median_ms=5.0, queries=3):
    """A PageResult whose wrk run lasted one second."""
    wrk = WrkResult(requests_per_second, 1_000_000, int(median_ms * 1000), 9000, 0)
    return PageResult(Page(kind, url), wrk, queries, min(queries, 1))


def words(line):
    return " ".join(line.split())


def export(peak_mb=80.0, complete=True):
    return ExportResult(20.0, 21_000_000, 96_000, peak_mb, 60.0, 390, complete)


def test_parse_wrk_reads_the_bench_line():
    parsed = parse_wrk(WRK_OUTPUT)
    assert parsed == WrkResult(1200, 3_001_000, 16_400, 27_600, 3)
    assert parsed.requests_per_second == pytest.approx(399.87, abs=0.01)
    assert (parsed.median_ms, parsed.p95_ms, parsed.errors) == (16.4, 27.6, 3)


def test_parse_wrk_without_a_bench_line_fails_loudly():
    with pytest.raises(ValueError, match="No BENCH line"):
        parse_wrk(WRK_OUTPUT.replace("BENCH", "bench"))


def test_percent_of_bare():
    assert percent_of(500, 2000) == 25
    assert percent_of(500, 0) == 0


def test_table_shows_each_page_against_the_bare_view():
    lines = format_table(
        [
            result("/bench/bare/", "ceiling", 2000, median_ms=2.5, queries=0),
            result("/cases/?status=trial", "list", 500, median_ms=12.5, queries=7),
        ]
    )
    assert words(lines[0]) == "page kind req/s % of bare median ms p95 ms SQL SQL again errors"
    assert words(lines[1]) == "/bench/bare/ ceiling 2000.0 100% 2.5 9.0 0 0 0"
    assert words(lines[2]) == "/cases/?status=trial list 500.0 25% 12.5 9.0 7 1 0"
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_the_faster_bare_run_is_the_ceiling():
    first = result("/bench/bare/", "ceiling", 1500, queries=0)
    again = result("/bench/bare/", "ceiling", 2000, queries=0).wrk
    assert faster(first, again).wrk == again
    assert faster(faster(first, again), first.wrk).wrk == again
    assert faster(first, again).page == first.page


def test_check_target_names_the_worst_page_and_the_margin():
    values = {"/a/": 60.0, "/b/": 45.5}
    assert check_target("fast", values, ">=", 50, "%") == (
        "MISSED  fast: 1 of 2 pages miss; worst 45.5% (/b/), 4.5 points short"
    )
    assert check_target("fast", values, ">=", 40, "%") == (
        "met     fast: worst 45.5% (/b/), 5.5 points to spare"
    )
    assert check_target("few", {"/a/": 12, "/b/": 3}, "<=", 12, " queries") == (
        "met     few: worst 12 queries (/a/), 0 queries to spare"
    )
    assert check_target("quick", {"/a/": 20.0}, "<", 20, " ms") == (
        "MISSED  quick: 1 of 1 pages miss; worst 20 ms (/a/), 0 ms over"
    )
    assert check_target("quick", {}, "<", 20, " ms").endswith("no such page measured")


def test_targets_apply_to_their_kind_of_page_only():
    results = [
        result("/bench/bare/", "ceiling", 1000, queries=0),
        result("/cases/", "list", 400, median_ms=15),  # 40%: meets the list target
        result("/cases/syn-case-1/", "detail", 450, median_ms=12),  # 45%: misses 50%
        result("/search/?q=court", "search", 10, median_ms=90, queries=13),
    ]
    lines = check_targets(results, export(peak_mb=151))
    assert lines == [
        "MISSED  detail pages at >= 50% of bare req/s: 1 of 1 pages miss; "
        "worst 45% (/cases/syn-case-1/), 5 points short",
        "met     list pages at >= 30% of bare req/s: worst 40% (/cases/), 10 points to spare",
        "met     list pages, median < 20 ms: worst 15 ms (/cases/), 5 ms to spare",
        "MISSED  detail pages, median < 10 ms: 1 of 1 pages miss; "
        "worst 12 ms (/cases/syn-case-1/), 2 ms over",
        "MISSED  every page at <= 12 queries to render: 1 of 3 pages miss; "
        "worst 13 queries (/search/?q=court), 1 queries over",
        "MISSED  export, peak worker RSS < 150 MB: 1 of 1 pages miss; "
        "worst 151 MB (/cases/?format=csv), 1 MB over",
    ]


def test_an_incomplete_export_is_a_miss():
    lines = check_targets([result("/bench/bare/", "ceiling", 1000)], export(complete=False))
    assert (
        lines[-1] == "MISSED  export: the download of /cases/?format=csv stopped after 96,000 rows"
    )


def test_proc_parsing():
    assert vmrss_mb("Name:\tgunicorn\nVmPeak:\t 99999 kB\nVmRSS:\t   81920 kB\n") == 80
    assert vmrss_mb("Name:\tzombie\n") == 0
    assert parent_pid("4242 (gunicorn: worker [a) b]) S 4100 4242 4242 0 -1") == 4100


def test_this_process_is_found_and_sampled():
    assert os.getpid() in site_benchmark.child_pids(os.getppid())
    with site_benchmark.PeakRss([os.getpid()], interval=0.001) as peak:
        pass
    assert peak.peak_mb > 1


def test_bare_view():
    response = bench.bare_view(None)
    assert (response.status_code, response.content) == (200, b"ok")
    assert response["Content-Type"] == "text/plain"


@pytest.fixture
def reload_urls():
    """Rebuild the URLconf from the current settings, and again from the real ones after."""

    def reload():
        clear_url_caches()
        importlib.reload(importlib.import_module("tracker.urls"))

    yield reload
    reload()


def test_bare_view_is_served_only_with_benchmark_views(reload_urls):
    with override_settings(BENCHMARK_VIEWS=True):
        reload_urls()
        response = Client().get("/bench/bare/")
        assert (response.status_code, response.content) == (200, b"ok")
    reload_urls()
    assert Client().get("/bench/bare/").status_code == 404


@pytest.mark.django_db
def test_pages_come_from_the_data_and_render(client):
    scale = synthetic.Scale(cases=60, organisations=30, people=10, laws=9, sources=20)
    synthetic.generate(scale, log=str)
    command = site_benchmark.Command(stdout=io.StringIO())
    pages = command.pages()
    kinds = [page.kind for page in pages]
    assert pages[0] == Page("ceiling", "/bench/bare/")
    assert kinds.count("list") == 16 and kinds.count("detail") == 5
    urls = [page.url for page in pages]
    assert Source.objects.order_by("pk")[0].get_absolute_url() in urls
    assert any(url.startswith("/cases/?law=syn-law-") for url in urls)
    assert any(url.startswith("/organisations/?law=syn-law-") for url in urls)
    assert "/feeds/designations/" in urls and "/search/?q=court" in urls
    client = Client(HTTP_HOST="localhost", raise_request_exception=True)
    assert command.count_queries(client, "/bench/bare/") == (0, 0)
    for url in urls[1:]:
        render, again = command.count_queries(client, url)
        assert 0 < render <= 20 and again <= render, url

    Citation.objects.all().delete()
    Source.objects.all().delete()
    assert [page.kind for page in command.pages()].count("detail") == 4
    assert "no source detail page" in command.stdout.getvalue()


@pytest.mark.django_db
def test_refuses_a_database_with_real_records(monkeypatch):
    monkeypatch.setattr(site_benchmark.shutil, "which", lambda name: f"/usr/bin/{name}")
    factories.OrganisationFactory(name="Memorial", slug="memorial")
    with pytest.raises(CommandError, match="real records"):
        call_command("site_benchmark", stdout=io.StringIO())


def test_needs_wrk(monkeypatch):
    monkeypatch.setattr(site_benchmark.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="wrk is not installed"):
        call_command("site_benchmark", stdout=io.StringIO())
