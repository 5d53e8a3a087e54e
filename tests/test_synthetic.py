"""The synthetic record and the search benchmark, at a small scale."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from tracker import synthetic
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
    assert Designation.objects.exists() and CaseEvent.objects.count() == 120
    assert SearchEntry.objects.filter(kind="case").count() == 120
    assert synthetic.is_synthetic() and not synthetic.has_real_records()
    first = list(Case.objects.order_by("pk").values_list("title", "summary")[:5])
    for model in (Citation, Source, Case, Organisation, Person, Law):
        model.objects.all().delete()
    synthetic.generate(SMALL, log=str)
    assert list(Case.objects.order_by("pk").values_list("title", "summary")[:5]) == first


def test_benchmark_reports_median_and_p95():
    out = io.StringIO()
    call_command(
        "search_benchmark", cases=150, organisations=40, people=20, sources=20, repeat=1, stdout=out
    )
    report = out.getvalue()
    assert "All 24 timed requests on" in report
    assert "median" in report and "p95" in report


def test_benchmark_refuses_a_database_with_real_records():
    factories.OrganisationFactory(name="Memorial", slug="memorial")
    with pytest.raises(CommandError, match="real records"):
        call_command("search_benchmark", repeat=1, stdout=io.StringIO())


def test_generate_command_builds_a_set_once():
    out = io.StringIO()
    options = dict.fromkeys(("cases", "organisations", "people", "laws", "sources"), 5)
    call_command("generate_synthetic", stdout=out, **options)
    assert "Built in" in out.getvalue()
    assert Case.objects.count() == 5 and Source.objects.count() == 5
    with pytest.raises(CommandError, match="already holds"):
        call_command("generate_synthetic", stdout=io.StringIO(), **options)
