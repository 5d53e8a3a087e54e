"""The site benchmark's pure parts, its choice of addresses, and the bare and drawn views.

Neither gunicorn, wrk nor Datasette runs here: `make bench` does that. No timing is asserted.
"""

import functools
import io
import os
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings

from bench import synthetic, views
from bench.management.commands import site_benchmark
from bench.management.commands.site_benchmark import (
    DRAWN,
    ExportFloor,
    ExportResult,
    RenderResult,
    WorkloadResult,
    WrkResult,
    choice_filters,
    combine,
    comparison_table,
    drawn_workload,
    filtered_list_workload,
    list_urls,
    parent_pid,
    parse_wrk,
    pick_page,
    read_through,
    render_table,
    summary,
    verdict,
    vmrss_mb,
)
from bench.views import bare_view
from tests import factories
from tracker.models import Case, Designation, Law
from tracker.views import CaseListView, DesignationListView, LawListView

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8765/cases/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    16.80ms    4.10ms  60.12ms   80.00%
  1200 requests in 3.00s, 30.00MB read
Requests/sec:    399.87
BENCH 1200 3001000 16400 27600 3
"""


def wrk(requests_per_second, median_ms=5.0, errors=0):
    """A WrkResult of a one-second run."""
    return WrkResult(requests_per_second, 1_000_000, int(median_ms * 1000), 9000, errors)


def words(line):
    return " ".join(line.split())


def test_parse_wrk_reads_the_bench_line():
    parsed = parse_wrk(WRK_OUTPUT)
    assert parsed == WrkResult(1200, 3_001_000, 16_400, 27_600, 3)
    assert parsed.requests_per_second == pytest.approx(399.87, abs=0.01)
    assert (parsed.median_ms, parsed.p95_ms, parsed.errors) == (16.4, 27.6, 3)


def test_parse_wrk_without_a_bench_line_fails_loudly():
    with pytest.raises(ValueError, match="No BENCH line"):
        parse_wrk(WRK_OUTPUT.replace("BENCH", "bench"))


def test_the_wrk_script_picks_from_the_address_list():
    script = site_benchmark.WRK_SCRIPT
    assert 'os.getenv("BENCH_URLS")' in script
    assert "paths[math.random(#paths)]" in script
    assert 'string.format("BENCH %d %d %d %d %d' in script


def test_runs_against_several_servers_combine():
    one = WrkResult(300, 10_000_000, 20_000, 50_000, 1)
    two = WrkResult(100, 10_500_000, 40_000, 90_000, 2)
    assert combine([one, two]) == WrkResult(400, 10_500_000, 25_000, 90_000, 3)
    assert combine([one]) == one
    assert combine([WrkResult(0, 1, 0, 0, 0)]).median_us == 0


def test_pages_exist_for_the_rows():
    rng = random.Random(1)  # noqa: S311
    pages = {pick_page(rng, 120, 50) for _ in range(200)}
    assert pages == {1, 2, 3}
    assert {pick_page(rng, 0, 50) for _ in range(20)} == {1}
    assert max(pick_page(rng, 100_000, 50) for _ in range(500)) == 20


def test_filtered_lists_ask_both_sides_for_the_same_page():
    pks = {"trial": list(range(1, 301)), "closed": [7, 8, 9], "exile": []}
    rng = random.Random(3)  # noqa: S311
    workload = filtered_list_workload(rng, pks, 50, "tracker_case", 200)
    assert len(workload.ours) == len(workload.datasette) == 200
    for ours, theirs in zip(workload.ours, workload.datasette, strict=True):
        status = ours.split("status=")[1].split("&")[0]
        page = int(ours.split("page=")[1])
        assert status in ("trial", "closed")  # never a status without rows
        assert theirs.startswith("/db/tracker_case?state=published&status=" + status)
        assert "_size=50" in theirs
        if page == 1:
            assert "_next" not in theirs
        else:
            # Page 3 of "trial" starts after its 100th row, pk 100.
            assert theirs.endswith(f"_next={pks[status][(page - 1) * 50 - 1]}")
    assert {int(url.split("page=")[1]) for url in workload.ours if "trial" in url} == set(
        range(1, 7)
    )


def test_list_urls_filter_on_values_that_have_rows():
    counts = {"status": {"trial": 120, "closed": 0, "": 5}, "country": {"RU": 40}}
    rng = random.Random(2)  # noqa: S311
    urls = list_urls(rng, "/cases/", counts, 500, 50, 300)
    assert {url.split("?")[1].split("&")[0] for url in urls} >= {
        "status=trial",
        "country=RU",
        "page=1",
    }
    assert not any("closed" in url or "status=&" in url for url in urls)
    assert all("page=" in url for url in urls)
    assert not any(url.startswith("/cases/?country=RU&page=2") for url in urls)


def test_lists_are_drawn_with_their_own_filters():
    """Random list addresses use the parameters each list takes, for the fields it filters:
    a model field's name that is no filter (a precision) would show the unfiltered list."""
    assert choice_filters(DesignationListView, Designation) == {"type": "kind"}
    assert choice_filters(CaseListView, Case) == {"status": "status", "country": "country"}
    assert choice_filters(LawListView, Law) == {"kind": "kind", "jurisdiction": "jurisdiction"}


def test_verdicts_say_by_how_much():
    assert verdict(6.0, 4) == "met (1.50x of target)"
    assert verdict(2.0, 4) == "MISSED (0.50x of target)"
    assert verdict(2.0, 4, higher_is_better=False) == "met (2.00x of target)"
    assert verdict(8.0, 4, higher_is_better=False) == "MISSED (0.50x of target)"
    assert verdict(None, 4) == "-"


def comparison():
    results = [
        WorkloadResult("case detail", wrk(500, 12.5), wrk(2000), wrk(100)),
        WorkloadResult("search", wrk(40, 200, errors=2), None, wrk(4)),
    ]
    ours = ExportResult(2.0, 20_000_000, 94_000, 80.0, True)
    theirs = ExportResult(5.0, 25_000_000, 94_000, 60.0, True)
    return results, ours, theirs


def test_comparison_table_with_targets():
    results, ours, theirs = comparison()
    lines = comparison_table(results, ours, theirs, bare=wrk(1500, 2.0))
    assert words(lines[0]) == (
        "workload req/s median ms errors cached req/s Datasette req/s ratio target"
    )
    assert words(lines[1]) == (
        "case detail 500.0 12.5 0 2000.0 100.0 5.00x >= 4x met (1.25x of target)"
    )
    assert words(lines[2]) == "search 40.0 200.0 2 - 4.0 10.00x >= 20x MISSED (0.50x of target)"
    assert words(lines[3]) == (
        "CSV export (94,000 rows) 2.0 s 5.0 s 2.50x >= 1.5x met (1.67x of target)"
    )
    assert words(lines[4]) == "export, peak worker RSS 80 MB 60 MB < 150 MB met"
    assert words(lines[5]) == "bare view (ceiling) 1500.0 2.0 0"
    assert lines[1].index("500.0") + len("500.0") == lines[0].index("req/s") + len("req/s")


def test_floors_beside_what_they_are_floors_of():
    results = [
        WorkloadResult("case detail", wrk(300), None, wrk(100)),
        WorkloadResult("case detail" + DRAWN, wrk(500), None, wrk(100)),
        WorkloadResult("organisation detail" + DRAWN, wrk(300), None, wrk(100)),
    ]
    ours = ExportResult(6.0, 20_000_000, 94_000, 80.0, True)
    theirs = ExportResult(4.0, 25_000_000, 94_000, 60.0, True)
    lines = comparison_table(results, ours, theirs, export_floor=ExportFloor(2.0, 0.5))
    assert words(lines[2]) == (
        "case detail, template alone 500.0 5.0 0 - 100.0 5.00x (>= 4x) floor above target (1.25x)"
    )
    assert words(lines[3]) == (
        "organisation detail, template alone 300.0 5.0 0 - 100.0 3.00x (>= 4x) "
        "floor BELOW target (0.75x)"
    )
    assert words(lines[5]) == (
        "CSV export: its SQL 2.0 s + csv module 0.5 s 2.5 s 4.0 s 1.60x (>= 1.5x) "
        "floor above target (1.07x)"
    )
    # A floor is no target: only the page itself counts.
    assert summary(results, ours, theirs, []) == "Targets met: 1 of 3."


def test_comparison_without_datasette():
    results = [WorkloadResult("case detail", wrk(500), wrk(900), None)]
    ours = ExportResult(2.0, 1, 10, 151.0, False)
    lines = comparison_table(results, ours, None)
    assert words(lines[1]) == "case detail 500.0 5.0 0 900.0 - - >= 4x -"
    assert words(lines[2]) == "CSV export (10 rows) 2.0 s INCOMPLETE - - >= 1.5x -"
    assert words(lines[3]) == "export, peak worker RSS 151 MB - < 150 MB MISSED"
    assert summary(results, ours, None, []) == "Targets met: 0 of 1."


def test_render_table_and_summary():
    renders = [
        RenderResult("detail", "case-detail", 25, 3.5, 6.0, 9),
        RenderResult("list", "case-list", 25, 12.0, 20.0, 13),
        RenderResult("search", "search", 25, 30.0, 40.0, 8),
    ]
    lines = render_table(renders)
    assert words(lines[1]) == "case-detail detail 25 3.5 6.0 <= 4 ms met (1.14x of target) 9 met"
    assert words(lines[2]) == (
        "case-list list 25 12.0 20.0 <= 8 ms MISSED (0.67x of target) 13 MISSED (> 12)"
    )
    assert words(lines[3]) == "search search 25 30.0 40.0 - 8 met"
    results, ours, theirs = comparison()
    # case detail met, search missed; export memory and speed met; render: 3 of 5.
    assert summary(results, ours, theirs, renders) == "Targets met: 6 of 9."


def test_render_table_with_the_floors_of_detail_pages():
    renders = [
        RenderResult("detail", "case-detail", 25, 8.5, 9.9, 8, 2.8),
        RenderResult("list", "case-list", 25, 12.0, 20.0, 6),
    ]
    lines = render_table(renders, bare_ms=0.25)
    assert words(lines[0]).endswith("SQL x bare template alone ms")
    assert words(lines[1]) == "bare view - - 0.25 - - - 1x -"
    assert words(lines[2]) == (
        "case-detail detail 25 8.5 9.9 <= 4 ms MISSED (0.47x of target) 8 met 34x 2.8"
    )
    assert words(lines[3]).endswith("6 met 48x -")


def test_render_table_against_the_bare_view():
    renders = [RenderResult("detail", "case-detail", 25, 3.5, 6.0, 9)]
    lines = render_table(renders, bare_ms=0.25)
    assert words(lines[0]).endswith("SQL x bare")
    assert words(lines[1]) == "bare view - - 0.25 - - - 1x"
    assert words(lines[2]) == (
        "case-detail detail 25 3.5 6.0 <= 4 ms met (1.14x of target) 9 met 14x"
    )
    # The bare view is no target: the summary counts the pages alone.
    assert summary([], None, None, renders) == "Targets met: 2 of 2."


def test_proc_parsing():
    assert vmrss_mb("Name:\tgunicorn\nVmPeak:\t 99999 kB\nVmRSS:\t   81920 kB\n") == 80
    assert vmrss_mb("Name:\tzombie\n") == 0
    assert parent_pid("4242 (gunicorn: worker [a) b]) S 4100 4242 4242 0 -1") == 4100


def test_the_database_file_is_read_to_its_end(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(bytes(range(256)) * 1000)
    assert read_through(path, block=1000) == 256_000


def test_this_process_is_found_and_sampled():
    assert os.getpid() in site_benchmark.child_pids(os.getppid())
    with site_benchmark.PeakRss([os.getpid()], interval=0.001) as peak:
        pass
    assert peak.peak_mb > 1


def test_bare_view():
    response = bare_view(None)
    assert (response.status_code, response.content) == (200, b"ok")
    assert response["Content-Type"] == "text/plain"


@pytest.mark.django_db
def test_bare_view_is_served_by_the_bench_urls_only():
    assert Client().get("/bench/bare/").status_code == 404
    with override_settings(ROOT_URLCONF="bench.urls"):
        response = Client().get("/bench/bare/")
        assert (response.status_code, response.content) == (200, b"ok")
        assert Client().get("/").status_code == 200  # and the site's own pages


def recorded(statements, execute, sql, *args):
    """An execute wrapper that notes every statement in `statements`."""
    statements.append(sql)
    return execute(sql, *args)


@pytest.mark.django_db
def test_the_drawn_view_draws_a_detail_page_from_its_template_alone():
    case = factories.CaseFactory(title="Trial of the Memorial board")
    factories.CitationFactory.for_object(case)
    factories.ChargeFactory(case=case)
    factories.CaseEventFactory(case=case)
    organisation = factories.OrganisationFactory()
    views._contexts.clear()  # kept for the process: none from another test's records
    client = Client(HTTP_HOST="localhost", raise_request_exception=True)
    # As the benchmark serves it: with the page cache, a page would be served again unread.
    with override_settings(ROOT_URLCONF="bench.urls", PAGE_CACHE=False):
        for page in (case.get_absolute_url(), organisation.get_absolute_url()):
            (drawn,) = drawn_workload(site_benchmark.Workload("x detail", [page], [page])).ours
            assert drawn == f"/bench/drawn{page}"
            first = client.get(drawn)
            read = []
            with connection.execute_wrapper(functools.partial(recorded, read)):
                again = client.get(drawn)
            # The same bytes as the page, and after the first, no query of the view's own
            # (at most the page wrapper's read of the data versions).
            assert first.content == again.content == client.get(page).content
            assert [sql for sql in read if '"tracker_dataversion"' not in sql] == []
        for path in ("/bench/drawn/cases/", "/bench/drawn/", "/bench/drawn/nowhere/"):
            assert client.get(path).status_code == 404, path  # detail pages only
        assert client.get("/bench/drawn/cases/no-such-case/").status_code == 404
    assert Client().get(f"/bench/drawn{case.get_absolute_url()}").status_code == 404


def test_production_settings_carry_nothing_of_the_benchmarks():
    from tracker import settings, urls

    assert "bench" not in settings.INSTALLED_APPS
    assert not any(name.startswith("BENCH") for name in dir(settings))
    assert "/bench/" not in str(urls.urlpatterns)


@pytest.mark.django_db
def test_addresses_come_from_the_data_and_render():
    synthetic.generate(
        synthetic.Scale(cases=300, organisations=40, people=20, laws=9, sources=30), log=str
    )
    command = site_benchmark.Command(stdout=io.StringIO())
    command.rng = random.Random(1)  # noqa: S311
    workloads = command.workloads(10)
    assert [w.name for w in workloads] == list(site_benchmark.WORKLOAD_TARGETS)
    client = Client(HTTP_HOST="localhost", raise_request_exception=True)
    published = set(Case.objects.published().values_list("pk", flat=True))
    for workload in workloads:
        assert len(workload.ours) == len(workload.datasette) == 10
        for url in workload.ours[:3]:
            assert client.get(url).status_code == 200, url
    assert all(
        int(url.rsplit("/", 1)[1]) in published for url in workloads[0].datasette
    )  # row pages of published cases only
    pages = command.render_pages(2)
    kinds = {kind for kind, _, _ in pages}
    assert kinds == {"home", "list", "detail", "search"}
    names = [name for _, name, _ in pages]
    assert {"case-list", "case-detail", "organisation-detail", "source-list"} <= set(names)
    for _, name, urls in pages:
        for url in urls:
            assert client.get(url).status_code == 200, (name, url)
    renders, bare_ms = command.render_times(1)
    assert {render.page for render in renders} == set(names)
    assert all(0 < render.queries <= 20 for render in renders)
    assert bare_ms is None  # the site's own URLs: no bare view to time
    assert all(render.floor_ms is None for render in renders)  # nor a drawn view
    with override_settings(ROOT_URLCONF="bench.urls"):
        assert command.bare_render_ms(client, 1) > 0
        renders, _ = command.render_times(1)
        without, _ = command.render_times(1, floors=False)
    # Every kind of detail page is also drawn from its template alone (unless told not to).
    drawn = {render.page for render in renders if render.floor_ms is not None}
    assert drawn == {name for name in names if name.endswith("-detail")}
    assert all(render.floor_ms is None for render in without)


@pytest.mark.django_db
def test_refuses_a_database_with_real_records_or_without_a_synthetic_set(monkeypatch):
    monkeypatch.setattr(site_benchmark.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(CommandError, match="make bench-data"):
        call_command(site_benchmark.Command(), stdout=io.StringIO())
    factories.OrganisationFactory(name="Memorial", slug="memorial")
    with pytest.raises(CommandError, match="real records"):
        call_command(site_benchmark.Command(), stdout=io.StringIO())


def test_needs_wrk(monkeypatch):
    monkeypatch.setattr(site_benchmark.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="wrk is not installed"):
        call_command(site_benchmark.Command(), stdout=io.StringIO())
