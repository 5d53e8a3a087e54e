"""The shipped seed record: it loads, is valid, every fact cites a source, disagreements stay."""

import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from tracker.choices import State
from tracker.history import recorded_models
from tracker.models import (
    Case,
    CaseEvent,
    Citation,
    Designation,
    Law,
    LawAmendment,
    Organisation,
    Penalty,
    Person,
    SearchEntry,
    Source,
)

pytestmark = pytest.mark.django_db

CITED_MODELS = [
    Organisation,
    Designation,
    Law,
    LawAmendment,
    Penalty,
    Person,
    Case,
    CaseEvent,
]
SEEDS_DIR = Path(os.environ.get("SEEDS_DIR", settings.BASE_DIR.parent / "shared" / "seeds"))


@pytest.fixture
def seed():
    call_command("load_seed", verbosity=0)


def test_seed_record_has_the_expected_breadth(seed):
    assert Organisation.objects.count() >= 15
    assert Law.objects.count() >= 10
    assert Case.objects.count() + Person.objects.count() >= 15
    assert Source.objects.count() >= 25
    assert Designation.objects.count() >= 10


@pytest.mark.parametrize("model", CITED_MODELS, ids=lambda m: m.__name__)
def test_every_record_cites_a_source(seed, model):
    uncited = [str(obj) for obj in model.objects.all() if not obj.citations.exists()]
    assert uncited == []


def test_every_record_passes_model_validation(seed):
    for model in apps.get_app_config("tracker").get_models():
        if model._meta.model_name.startswith("historical"):
            continue  # history rows are written by django-simple-history, not edited
        for obj in model.objects.all():
            obj.full_clean()


def test_every_seed_record_has_a_first_version_in_its_history(seed):
    for model in recorded_models():
        recorded = set(model.history.values_list("id", flat=True))
        assert recorded == set(model.objects.values_list("pk", flat=True)), model


def test_every_seed_record_is_published(seed):
    for model in (Organisation, Designation, Law, Person, Case, Source):
        assert not model.objects.exclude(state=State.PUBLISHED).exists()
        assert model.objects.published().count() == model.objects.count()


SEED_FILES = [
    "000_f628e4ff5dc0ed2a.txt",
    "001_1883535b3ed371bf.txt",
    "002_37362a290c7dd3ea.txt",
    "003_01e191f247675d07.txt",
    "004_46d27a0427f8d920.txt",
]


@pytest.mark.parametrize("filename", SEED_FILES)
def test_each_seed_document_is_a_source_of_its_own(seed, filename):
    source = Source.objects.get(summary__startswith=f"Seed document {filename}")
    assert source.url == ""
    assert source.citations.exists()


def test_unverifiable_documents_are_graded_unverified(seed):
    unverified = Source.objects.filter(reliability="unverified")
    assert unverified.exists()
    assert not unverified.filter(reliability_note="").exists()


def test_disagreements_are_kept_with_their_sources(seed):
    amnesty = Designation.objects.get(organisation__name="Amnesty International")
    assert amnesty.authority.startswith("Prosecutor General")
    conflicting = amnesty.citations.filter(conflicting=True)
    assert any("Justice Ministry" in c.quote + c.note for c in conflicting)
    law = amnesty.law
    prison_terms = set(law.penalties.values_list("max_prison_months", flat=True))
    assert {48, 72} <= prison_terms
    fines = set(law.penalties.values_list("max_fine", flat=True))
    assert {15000, 500000} <= fines
    penalty_sources = {c.source_id for p in law.penalties.all() for c in p.citations.all()}
    assert len(penalty_sources) >= 3


def test_partial_dates_are_kept_partial(seed):
    moscow_times = Designation.objects.get(organisation__name="The Moscow Times")
    assert moscow_times.decision_date_precision == "approximate"
    assert moscow_times.decision_display == "c. 2024"


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"seed documents not found at {SEEDS_DIR}")
def test_every_quote_is_word_for_word_from_a_seed_document(seed):
    def squash(text):
        return re.sub(r"\s+", " ", text).strip()

    corpus = " ".join(squash(path.read_text()) for path in sorted(SEEDS_DIR.glob("*.txt")))
    missing = [c.pk for c in Citation.objects.exclude(quote="") if squash(c.quote) not in corpus]
    assert missing == []


def test_every_seed_page_renders(client, seed):
    urls = ["/", "/organisations/", "/laws/", "/cases/", "/people/", "/sources/"]
    for model in (Organisation, Law, Case, Person, Source):
        urls += [obj.get_absolute_url() for obj in model.objects.published()]
    for url in urls:
        assert client.get(url).status_code == 200, url


def search_hits(client, query):
    response = client.get("/search/", {"q": query})
    return {group.kind: [hit.record for hit in group.hits] for group in response.context["results"]}


def test_search_finds_seeded_records_by_alias_and_article(client, seed):
    assert [o.name for o in search_hits(client, "fidh")["organisation"]][0] == (
        "International Federation for Human Rights"
    )
    assert [law.number for law in search_hits(client, "275.1")["law"]] == ["275.1"]


@pytest.mark.parametrize(
    ("query", "kind", "name"),
    [
        ("Навальный", "person", "Alexei Navalny"),
        ("Мемориал", "organisation", "Memorial"),
        ("Врачи без границ", "organisation", "Doctors Without Borders"),
        ("Скочиленко", "person", "Sasha Skochilenko"),
        ("Aleksandra Skochilenko", "person", "Sasha Skochilenko"),
        ("закон о нежелательных организациях", "law", "Russian law on “undesirable organisations”"),
        (
            "zakon ob inostrannykh agentakh",
            "law",
            "Russian “foreign agents” requirement for NGOs receiving foreign funding",
        ),
        ("Stus", "person", "Vasyl Stus"),
    ],
)
def test_seed_record_is_found_in_cyrillic_and_latin(client, seed, query, kind, name):
    best = search_hits(client, query)[kind][0]
    assert (best.title if kind == "law" else best.name) == name


def test_load_seed_indexes_every_record(seed):
    for model, kind in ((Organisation, "organisation"), (Law, "law"), (Person, "person")):
        assert SearchEntry.objects.filter(kind=kind).count() == model.objects.count()
    assert SearchEntry.objects.filter(kind="case").count() == Case.objects.count()
    assert SearchEntry.objects.filter(kind="source").count() == Source.objects.count()


def test_load_seed_never_overwrites_existing_records(seed):
    organisation = Organisation.objects.get(name="Amnesty International")
    organisation.description = "Edited by an editor."
    organisation.save()
    call_command("load_seed", verbosity=0)
    organisation.refresh_from_db()
    assert organisation.description == "Edited by an editor."
