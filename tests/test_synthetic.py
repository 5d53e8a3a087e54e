"""The synthetic record (bench/synthetic.py) and the search benchmark, at a small scale."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench import synthetic
from bench.management.commands import generate_synthetic, search_benchmark
from tests import factories
from tracker.choices import CaseStatus, State
from tracker.models import (
    Case,
    CaseEvent,
    Citation,
    Designation,
    Law,
    Organisation,
    Person,
    SearchEntry,
    Source,
)
from tracker.models.public import has_state, public_models

pytestmark = pytest.mark.django_db


SMALL = synthetic.Scale(cases=120, organisations=40, people=20, laws=9, sources=30)


def test_generator_is_deterministic_and_indexed():
    synthetic.generate(SMALL, log=str)
    assert (Case.objects.count(), Organisation.objects.count(), Person.objects.count()) == (
        120,
        40,
        20,
    )
    assert Source.objects.count() == 30
    assert 30 <= Citation.objects.count() <= 60
    assert Designation.objects.exists() and 120 <= CaseEvent.objects.count() <= 240
    assert SearchEntry.objects.filter(kind="case").count() == 120
    assert synthetic.is_synthetic() and not synthetic.has_real_records()
    fields = ("title", "summary", "country", "status", "state")
    first = list(Case.objects.order_by("pk").values_list(*fields)[:20])
    for model in (Citation, Source, Case, Organisation, Person, Law):
        model.objects.all().delete()
    synthetic.generate(SMALL, log=str)
    assert list(Case.objects.order_by("pk").values_list(*fields)[:20]) == first


@pytest.mark.django_db(transaction=True)
def test_leaves_what_autovacuum_would():
    """Outside a transaction, as `make bench-data` runs it: planner statistics, and on
    PostgreSQL a vacuum (its visibility map lets a count read an index alone)."""
    synthetic.generate(SMALL, log=str)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL "
                "FROM pg_stat_user_tables WHERE relname = %s",
                [Case._meta.db_table],
            )
            assert cursor.fetchone() == (True, True)
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s", [Case._meta.db_table]
            )
            assert cursor.fetchone()[0] > 0


def test_the_record_is_spread_as_real_data_is():
    synthetic.generate(
        synthetic.Scale(cases=3000, organisations=300, people=300, laws=30, sources=200), log=str
    )
    countries = Counter(Case.objects.values_list("country", flat=True))
    assert set(countries) == {code for code, _ in synthetic.COUNTRIES}
    assert countries.most_common(1)[0][0] == "RU" and countries["RU"] < 0.6 * 3000
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(CaseStatus.values)
    years = {day.year for day in CaseEvent.objects.values_list("date", flat=True)}
    assert years == set(range(2012, 2027))
    assert set(Organisation.objects.values_list("country", flat=True)) == set(countries)
    # About 6 % of the records of every kind with a state are not published, in every state.
    kinds = [model for model in public_models() if has_state(model) and model.objects.exists()]
    assert {Case, Organisation, Person, Law, Designation, Source} <= set(kinds)
    unpublished = Counter()
    for model in kinds:
        states = Counter(model.objects.values_list("state", flat=True))
        unpublished.update({state: n for state, n in states.items() if state != State.PUBLISHED})
        if model.objects.count() >= 300:
            share = 1 - states[State.PUBLISHED] / model.objects.count()
            assert 0.03 < share < 0.09, (model, share)
    assert set(unpublished) == set(State.values) - {State.PUBLISHED}


def test_benchmark_reports_median_and_p95():
    out = io.StringIO()
    call_command(
        search_benchmark.Command(),
        cases=150,
        organisations=40,
        people=20,
        sources=20,
        repeat=1,
        stdout=out,
    )
    report = out.getvalue()
    assert "All 24 timed requests on" in report
    assert "median" in report and "p95" in report


def test_benchmark_refuses_a_database_with_real_records():
    factories.OrganisationFactory(name="Memorial", slug="memorial")
    with pytest.raises(CommandError, match="real records"):
        call_command(search_benchmark.Command(), repeat=1, stdout=io.StringIO())


def test_generate_command_builds_a_set_once():
    out = io.StringIO()
    options = dict.fromkeys(("cases", "organisations", "people", "laws", "sources"), 5)
    call_command(generate_synthetic.Command(), stdout=out, **options)
    assert "Built in" in out.getvalue()
    assert Case.objects.count() == 5 and Source.objects.count() == 5
    with pytest.raises(CommandError, match="already holds"):
        call_command(generate_synthetic.Command(), stdout=io.StringIO(), **options)
