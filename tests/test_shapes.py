"""The public shape of each record type (tracker/shapes.py): fields, partial dates, citations,
only public related records, and a fixed number of queries per page of records."""

import datetime
import json
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_countries.fields import Country
from rest_framework import serializers

from tests import factories
from tracker.choices import State
from tracker.models import (
    CaseEvent,
    Charge,
    LawAlias,
    LawAmendment,
    Organisation,
    OrganisationAlias,
    Penalty,
    PersonAlias,
)
from tracker.shapes import (
    SHAPES,
    CountryField,
    PageField,
    Shape,
    UrlTemplate,
    absolute_url,
    partial_date,
)

BASE = "http://testserver"


def shape(kind, record):
    """The shape of `record` as the API gives it (loaded through the shape's queryset)."""
    serializer = SHAPES[kind]
    loaded = serializer.queryset().get(pk=record.pk)
    return serializer(loaded, context={"request": RequestFactory().get("/")}).data


def source_shape(source, **extra):
    return {
        "id": source.pk,
        "title": source.title,
        "publisher": source.publisher,
        "url": source.url or None,
        "page": f"{BASE}/sources/{source.pk}/",
        "published": partial_date(source.published_date, source.published_date_precision),
        "kind": source.kind,
        "reliability": source.reliability,
        "reliability_label": source.get_reliability_display(),
        **extra,
    }


class Rich:
    """The records of the `rich` fixture, by name."""


@pytest.fixture
def rich(db):
    """One record of every kind, with dates of every precision, aliases, citations with and
    without a source address, a conflicting citation, and hidden records attached to each."""
    r = Rich()
    r.report = factories.SourceFactory(
        title="Register extract",
        url="https://example.org/register",
        publisher="Ministry of Justice",
        published_date=datetime.date(2024, 11, 13),
        kind="official",
        reliability="primary",
    )
    r.letter = factories.SourceFactory(
        title="Forwarded letter",
        url="",
        publisher="",
        published_date=datetime.date(2023, 1, 1),
        published_date_precision="approximate",
        reliability="unverified",
    )
    r.law = factories.LawFactory(
        title="Law on undesirable organisations",
        short_title="Undesirables law",
        slug="undesirables",
        number="129-FZ",
        kind="law",
        adopted_date=datetime.date(2015, 5, 1),
        adopted_date_precision="month",
        summary="Lets the prosecutor ban foreign organisations.",
    )
    LawAlias.objects.create(law=r.law, name="Закон о нежелательных", kind="original")
    r.amendment = LawAmendment.objects.create(
        law=r.law, date=datetime.date(2021, 1, 1), date_precision="year", summary="Tightened."
    )
    r.penalty = Penalty.objects.create(
        law=r.law, kind="criminal", applies_to="participation", max_prison_months=48
    )
    r.fine = Penalty.objects.create(
        law=r.law, kind="administrative", applies_to="participation", max_fine=15000, currency="RUB"
    )
    r.hidden_law = factories.LawFactory(title="Withdrawn law", slug="withdrawn", state="withdrawn")
    r.draft_law = factories.LawFactory(title="Draft law", slug="draft-law", state=State.DRAFT)

    r.org = factories.OrganisationFactory(
        name="Example Rights Centre",
        slug="erc",
        short_name="ERC",
        kind="ngo",
        country="RU",
        website="https://erc.example.org/",
        description="Monitors trials.",
    )
    OrganisationAlias.objects.create(organisation=r.org, name="Центр «Пример»", kind="original")
    r.designation = factories.DesignationFactory(
        organisation=r.org,
        law=r.law,
        kind="undesirable",
        authority="Prosecutor General's Office",
        decision_date=datetime.date(2024, 11, 13),
        register_date=datetime.date(2024, 12, 1),
        register_date_precision="month",
        stated_reasons="A threat to the constitutional order.",
    )
    r.undated = factories.DesignationFactory(
        organisation=r.org, law=None, kind="foreign_agent", decision_date=None
    )
    # Hidden: a draft designation, and a published one under a draft law.
    r.draft_designation = factories.DesignationFactory(
        organisation=r.org, law=r.law, kind="extremist", state=State.DRAFT
    )
    r.under_draft_law = factories.DesignationFactory(
        organisation=r.org, law=r.draft_law, kind="terrorist"
    )
    r.hidden_org = factories.OrganisationFactory(name="Draft org", slug="draft-org", state="draft")

    r.person = factories.PersonFactory(
        name="Anna Example", slug="anna", role="lawyer", country="RU", description="A lawyer."
    )
    PersonAlias.objects.create(person=r.person, name="Анна", kind="original")
    r.draft_person = factories.PersonFactory(name="Draft person", slug="draft-p", state="draft")
    r.case = factories.CaseFactory(
        title="Case of Anna Example",
        slug="anna-case",
        summary="Prosecuted for participation.",
        status="convicted",
        country="RU",
        sentence="4 years",
        court="Moscow City Court",
        people=[r.person, r.draft_person],
    )
    r.case.organisations.add(r.org, r.hidden_org)
    r.charge = Charge.objects.create(case=r.case, law=r.law, description="participation")
    Charge.objects.create(case=r.case, law=None, description="unnamed article")
    Charge.objects.create(case=r.case, law=r.hidden_law, description="withdrawn charge")
    r.event = factories.CaseEventFactory(
        case=r.case, kind="verdict", date=datetime.date(2025, 3, 4), description="Convicted."
    )
    r.undated_event = factories.CaseEventFactory(
        case=r.case, kind="other", date=None, description="Undated."
    )
    r.hidden_case = factories.CaseFactory(
        title="Draft case", slug="draft-case", state="draft", people=[r.person]
    )
    CaseEvent.objects.create(case=r.hidden_case, kind="arrest", description="Hidden event")

    for record in (r.org, r.designation, r.law, r.amendment, r.penalty, r.case, r.event, r.person):
        factories.CitationFactory.for_object(record, source=r.report, quote="Quoted.")
    factories.CitationFactory.for_object(
        r.designation, source=r.letter, quote="", note="Gives another date.", conflicting=True
    )
    r.uncited = factories.SourceFactory(title="Uncited draft source", state=State.DRAFT)
    return r


pytestmark = pytest.mark.django_db


def test_partial_dates_keep_their_precision():
    day = datetime.date(2024, 11, 13)
    assert partial_date(day, "day") == {
        "date": "2024-11-13",
        "precision": "day",
        "approximate": False,
        "display": "13 November 2024",
    }
    assert partial_date(datetime.date(2024, 11, 1), "month")["date"] == "2024-11"
    assert partial_date(datetime.date(2024, 1, 1), "year")["date"] == "2024"
    assert partial_date(datetime.date(2024, 1, 1), "approximate") == {
        "date": "2024",
        "precision": "approximate",
        "approximate": True,
        "display": "c. 2024",
    }
    assert partial_date(None, "day") is None


def test_organisation_shape(rich):
    r = rich
    data = shape("organisation", r.org)
    assert list(data)[:3] == ["id", "type", "url"]
    assert data["id"] == r.org.pk
    assert data["type"] == "organisation"
    assert data["url"] == f"{BASE}/organisations/erc/"
    assert data["name"] == "Example Rights Centre"
    assert data["short_name"] == "ERC"
    assert data["aliases"] == [
        {
            "name": "Центр «Пример»",
            "kind": "original",
            "kind_label": "Name in its original script or language, as a source gives it",
            "language": "",
        }
    ]
    assert data["kind"] == "ngo"
    assert data["kind_label"] == "NGO"
    assert data["country"] == {"code": "RU", "name": "Russia"}
    assert data["website"] == "https://erc.example.org/"
    # Only the public designations, without their organisation.
    assert [d["id"] for d in data["designations"]] == [r.designation.pk, r.undated.pk]
    assert "organisation" not in data["designations"][0]
    assert (
        data["designations"][0]["url"]
        == f"{BASE}/organisations/erc/#designation-{r.designation.pk}"
    )
    assert data["designations"][1]["law"] is None
    assert data["designations"][1]["decision_date"] is None
    assert data["citations"] == [
        {
            "source": source_shape(r.report),
            "quote": "Quoted.",
            "conflicting": False,
        }
    ]


def test_designation_shape(rich):
    r = rich
    data = shape("designation", r.designation)
    assert data["type"] == "designation"
    assert data["url"] == f"{BASE}/organisations/erc/#designation-{r.designation.pk}"
    assert data["organisation"] == {
        "id": r.org.pk,
        "name": "Example Rights Centre",
        "url": f"{BASE}/organisations/erc/",
    }
    assert data["kind"] == "undesirable"
    assert data["kind_label"] == "Undesirable organisation"
    assert data["law"] == {
        "id": r.law.pk,
        "title": "Law on undesirable organisations",
        "url": f"{BASE}/laws/undesirables/",
    }
    assert data["authority"] == "Prosecutor General's Office"
    assert data["decision_date"]["date"] == "2024-11-13"
    assert data["register_date"] == {
        "date": "2024-12",
        "precision": "month",
        "approximate": False,
        "display": "December 2024",
    }
    assert data["revoked_date"] is None
    assert data["stated_reasons"] == "A threat to the constitutional order."
    # A citation of a source without an address, conflicting with the record.
    conflicting = data["citations"][1]
    assert conflicting["conflicting"] is True
    # The editors' working note is not public.
    assert "note" not in conflicting
    assert conflicting["source"]["url"] is None
    assert conflicting["source"]["publisher"] == ""
    assert conflicting["source"]["published"] == {
        "date": "2023",
        "precision": "approximate",
        "approximate": True,
        "display": "c. 2023",
    }


def test_law_shape(rich):
    r = rich
    data = shape("law", r.law)
    assert data["type"] == "law"
    assert data["url"] == f"{BASE}/laws/undesirables/"
    assert data["title"] == "Law on undesirable organisations"
    assert data["short_title"] == "Undesirables law"
    assert data["number"] == "129-FZ"
    assert data["kind"] == "law"
    assert data["kind_label"] == "Law or statute"
    assert data["jurisdiction"] == {"code": "RU", "name": "Russia"}
    assert data["adopted_date"]["date"] == "2015-05"
    assert data["aliases"][0]["name"] == "Закон о нежелательных"
    assert data["amendments"] == [
        {
            "id": r.amendment.pk,
            "date": {"date": "2021", "precision": "year", "approximate": False, "display": "2021"},
            "summary": "Tightened.",
            "evidence": "confirmed",
            "citations": [
                {
                    "source": source_shape(r.report),
                    "quote": "Quoted.",
                    "conflicting": False,
                }
            ],
        }
    ]
    fine, prison = data["penalties"]
    assert fine["kind"] == "administrative"
    assert (fine["max_fine"], fine["currency"], fine["max_prison_months"]) == (15000, "RUB", None)
    assert prison["kind_label"] == "Criminal"
    assert prison["max_prison_months"] == 48
    assert len(prison["citations"]) == 1


def test_case_shape_shows_only_public_people_organisations_and_charges(rich):
    r = rich
    data = shape("case", r.case)
    assert data["type"] == "case"
    assert data["url"] == f"{BASE}/cases/anna-case/"
    assert (data["status"], data["status_label"]) == ("convicted", "Convicted")
    assert data["country"] == {"code": "RU", "name": "Russia"}
    assert (data["sentence"], data["court"]) == ("4 years", "Moscow City Court")
    assert data["people"] == [
        {"id": r.person.pk, "name": "Anna Example", "url": f"{BASE}/people/anna/"}
    ]
    assert [o["id"] for o in data["organisations"]] == [r.org.pk]
    # The charge under a withdrawn law is not public; one naming no law is.
    assert data["charges"] == [
        {
            "law": {"id": r.law.pk, "title": r.law.title, "url": f"{BASE}/laws/undesirables/"},
            "description": "participation",
            "label": f"{r.law} — participation",
        },
        {"law": None, "description": "unnamed article", "label": "unnamed article"},
    ]
    event = data["events"][0]
    assert event["url"] == f"{BASE}/cases/anna-case/#event-{r.event.pk}"
    assert "case" not in event
    assert event["date"]["date"] == "2025-03-04"
    assert data["events"][1]["date"] is None
    assert len(data["citations"]) == 1


def test_person_shape_lists_only_public_cases(rich):
    r = rich
    data = shape("person", r.person)
    assert data["type"] == "person"
    assert data["url"] == f"{BASE}/people/anna/"
    assert (data["role"], data["role_label"]) == ("lawyer", "Lawyer")
    assert data["aliases"][0]["name"] == "Анна"
    assert data["cases"] == [
        {"id": r.case.pk, "title": "Case of Anna Example", "url": f"{BASE}/cases/anna-case/"}
    ]
    assert data["description"] == "A lawyer."


def test_source_shape(rich):
    r = rich
    data = shape("source", r.report)
    assert list(data)[:4] == ["id", "type", "url", "page"]
    assert data["type"] == "source"
    assert data["url"] == "https://example.org/register"
    assert data["page"] == f"{BASE}/sources/{r.report.pk}/"
    assert data["published"]["date"] == "2024-11-13"
    assert (data["kind"], data["kind_label"]) == ("official", "Official register or decision")
    assert data["reliability_label"] == "Primary / official"
    assert shape("source", r.letter)["url"] is None


def test_case_event_shape(rich):
    r = rich
    data = shape("case_event", r.event)
    assert data["type"] == "case_event"
    assert data["url"] == f"{BASE}/cases/anna-case/#event-{r.event.pk}"
    assert data["case"] == {
        "id": r.case.pk,
        "title": r.case.title,
        "url": f"{BASE}/cases/anna-case/",
    }
    assert (data["kind"], data["kind_label"]) == ("verdict", "Verdict")
    assert data["description"] == "Convicted."


def test_hidden_records_have_no_shape(rich):
    r = rich
    assert not SHAPES["organisation"].queryset().filter(pk=r.hidden_org.pk).exists()
    assert not SHAPES["case"].queryset().filter(pk=r.hidden_case.pk).exists()
    designations = SHAPES["designation"].queryset()
    assert not designations.filter(pk__in=[r.draft_designation.pk, r.under_draft_law.pk]).exists()
    assert not SHAPES["case_event"].queryset().filter(case=r.hidden_case).exists()
    assert not SHAPES["source"].queryset().filter(pk=r.uncited.pk).exists()


def test_urls_without_a_request_use_the_base_url(rich):
    serializer = SHAPES["organisation"]
    loaded = serializer.queryset().get(pk=rich.org.pk)
    data = serializer(loaded, context={"base_url": "https://tracker.example.org/"}).data
    assert data["url"] == "https://tracker.example.org/organisations/erc/"
    assert serializer(loaded).data["url"] == "/organisations/erc/"


def test_a_record_not_loaded_through_its_queryset_is_refused(rich):
    """Without the prefetches, related rows could be read unfiltered: fail loudly instead."""
    serializer = SHAPES["organisation"]
    with pytest.raises(ImproperlyConfigured, match="public_aliases"):
        serializer(type(rich.org).objects.get(pk=rich.org.pk)).data  # noqa: B018


def page_as_drf_writes_it(field, instance):
    return field.context["request"].build_absolute_uri(instance.get_absolute_url())


@pytest.mark.parametrize("kind", list(SHAPES))
def test_shapes_write_what_drf_writes(rich, kind):
    """tracker.shapes.Shape reads each field through a plan made once: the records it writes
    are DRF's own, field for field, nested shapes and lists included, and each page's address
    is the request's own absolute address of the page."""
    populate(2, 0)
    serializer = SHAPES[kind]
    records = list(serializer.queryset())
    context = {"request": RequestFactory().get("/")}
    written = serializer(records, many=True, context=context).data
    with (
        mock.patch.object(Shape, "to_representation", serializers.Serializer.to_representation),
        mock.patch.object(PageField, "to_representation", page_as_drf_writes_it),
    ):
        expected = serializer(records, many=True, context=context).data
    assert len(written) == len(records) > 1
    assert json.dumps(written) == json.dumps(expected)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("where", ["request", "base_url"])
def test_pages_are_the_records_own_addresses(rich, language, where):
    """PageField writes a page's address from a template per model (UrlTemplate): it is the
    record's own get_absolute_url(), made absolute, in the language of the request and for
    the site of the context."""
    populate(2, 0)
    if where == "request":
        context = {"request": RequestFactory().get("/")}
    else:
        context = {"base_url": "https://tracker.example.org"}
    with translation.override(language):
        for kind, serializer in SHAPES.items():
            records = list(serializer.queryset())
            assert records, kind
            (page,) = (n for n, f in serializer().fields.items() if isinstance(f, PageField))
            written = serializer(records, many=True, context=context).data
            for record, data in zip(records, written, strict=True):
                assert data[page] == absolute_url(record.get_absolute_url(), context), kind
                assert ("/ru/" in data[page]) == (language == "ru"), data[page]


def test_a_key_reverse_would_quote_is_not_written_from_the_template():
    template = UrlTemplate(Organisation, {"base_url": BASE})
    assert template.url(Organisation(pk=1, slug="erc")) == f"{BASE}/organisations/erc/"
    assert template.url(Organisation(pk=1, slug="e r c")) is None


def populate(n, start):
    """n records of every kind with every relation (as tests/test_query_counts.py does)."""
    for i in range(start, start + n):
        law = factories.LawFactory(slug=f"qlaw-{i}", title=f"QLaw {i}")
        law.aliases.create(name=f"Закон {i}")
        factories.CitationFactory.for_object(law)
        amendment = law.amendments.create(date=datetime.date(2021, 1, 1), summary="Tightened.")
        factories.CitationFactory.for_object(amendment)
        penalty = law.penalties.create(kind="criminal", applies_to="x", max_prison_months=48)
        factories.CitationFactory.for_object(penalty)
        organisation = factories.OrganisationFactory(slug=f"qorg-{i}")
        factories.OrganisationAliasFactory(organisation=organisation)
        factories.CitationFactory.for_object(organisation)
        designation = factories.DesignationFactory(organisation=organisation, law=law)
        factories.CitationFactory.for_object(designation)
        person = factories.PersonFactory(slug=f"qperson-{i}")
        person.aliases.create(name=f"Alias of person {i}")
        factories.CitationFactory.for_object(person)
        case = factories.CaseFactory(slug=f"qcase-{i}", people=[person])
        case.organisations.add(organisation)
        factories.ChargeFactory(case=case, law=law)
        event = factories.CaseEventFactory(case=case)
        factories.CitationFactory.for_object(event)
        factories.CitationFactory.for_object(case)


@pytest.mark.parametrize("kind", list(SHAPES))
def test_a_page_of_records_costs_a_fixed_number_of_queries(kind):
    serializer = SHAPES[kind]
    counts = []
    for n, start in ((2, 0), (8, 2)):
        populate(n, start)
        with CaptureQueriesContext(connection) as queries:
            rows = list(serializer.queryset()[:50])
            serializer(rows, many=True, context={"base_url": BASE}).data  # noqa: B018
        counts.append((len(rows), len(queries)))
    (small, small_queries), (large, large_queries) = counts
    assert large > small
    assert large_queries == small_queries


@pytest.mark.django_db
def test_rows_sorted_once_found_keep_their_models_order():
    # A person's cases are prefetched in an order no index holds (exports read them for
    # hundreds of people at a time), and it must be the cases' own order on both databases.
    from tracker.models import Case
    from tracker.shapes import PersonShape, sorted_once_found

    person = factories.PersonFactory()
    for title in ("b trial", "A trial", "Я дело", "a trial", "Б дело", "a trial"):
        factories.CaseFactory(title=title).people.add(person)
    expected = list(Case.objects.order_by("title", "id"))
    assert list(sorted_once_found(Case.objects.all())) == expected
    [loaded] = PersonShape.queryset().filter(pk=person.pk)
    assert loaded.public_cases == expected
    ordering = sorted_once_found(Case.objects.all()).query.order_by
    assert "title" not in ordering and "-title" not in ordering  # not read from an index


def test_a_country_field_writes_each_country_by_its_own_code_in_its_language():
    field = CountryField()
    written = [field.to_representation(Country(code)) for code in ("RU", "BY", "RU")]
    assert [country["name"] for country in written] == ["Russia", "Belarus", "Russia"]
    with translation.override("ru"):
        assert CountryField().to_representation(Country("BY"))["name"] == "Беларусь"
