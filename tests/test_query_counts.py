"""Every public page runs a fixed number of SQL queries, however many rows it shows."""

import datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db


def populate(n, start=0):
    """n records of every kind, each with its relations and citations."""
    for i in range(start, start + n):
        law = factories.LawFactory(slug=f"law-{i}", number=f"{i}.1", title=f"Law {i} Alpha")
        law.aliases.create(name=f"Закон {i}")
        factories.CitationFactory.for_object(law)
        amendment = law.amendments.create(date=datetime.date(2021, 1, 1), summary="Tightened.")
        factories.CitationFactory.for_object(amendment)
        penalty = law.penalties.create(kind="criminal", applies_to="x", max_prison_months=48)
        factories.CitationFactory.for_object(penalty)
        organisation = factories.OrganisationFactory(slug=f"org-{i}", name=f"Org {i} Alpha")
        factories.OrganisationAliasFactory(organisation=organisation)
        factories.CitationFactory.for_object(organisation)
        designation = factories.DesignationFactory(organisation=organisation, law=law)
        factories.CitationFactory.for_object(designation)
        person = factories.PersonFactory(slug=f"person-{i}", name=f"Person {i} Alpha")
        person.aliases.create(name=f"Alias of person {i}")
        factories.CitationFactory.for_object(person)
        case = factories.CaseFactory(slug=f"case-{i}", title=f"Case {i} Alpha", people=[person])
        case.organisations.add(organisation)
        factories.ChargeFactory(case=case, law=law)
        event = factories.CaseEventFactory(case=case)
        factories.CitationFactory.for_object(event)
        factories.CitationFactory.for_object(case)


PAGES = [
    "/",
    "/organisations/",
    "/organisations/?kind=ngo&law=law-0&year=2025&q=alpha",
    "/organisations/org-0/",
    "/designations/",
    "/designations/?type=undesirable&law=law-0&organisation=org-0&jurisdiction=RU"
    "&year=2025&authority=general&as_of=2025-06-01&q=alpha",
    "/designations/?format=csv",
    "/designations/?format=atom",
    "/designations/?q=alpha&format=jsonl",
    "/cases/?format=atom",
    "/cases/?person=person-0&format=atom",
    "/laws/",
    "/laws/?jurisdiction=RU&q=alpha",
    "/laws/law-0/",
    "/cases/",
    "/cases/?law=law-0&status=convicted&year=2025&person=person-0&q=alpha",
    # The sorts, the person filter by name and the designating state add no query per row.
    "/cases/?sort=date&person=Person+0+Alpha",
    "/cases/?sort=-title&format=csv",
    "/designations/?sort=-register&designated_by=RU",
    "/organisations/?designated_by=RU&country=RU",
    "/cases/case-0/",
    "/people/",
    "/people/?role=defender&q=alpha",
    "/people/person-0/",
    "/sources/",
    "/sources/?reliability=established",
    "/search/?q=0",
    "/search/?q=alpha",
    "/search/?q=Organisaton",  # no match: "did you mean" runs too
    "/feeds/designations/",
    "/organisations/?format=csv",
    "/organisations/?format=jsonl",
    "/cases/?format=json",
    "/cases/?format=csv",
    "/laws/?format=csv",
    "/people/?format=json",
    "/sources/?format=csv",
]


def queries_for(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        response.getvalue()  # a streamed answer is read while it is sent
    assert response.status_code == 200, url
    return len(context.captured_queries)


def cold_queries_for(client, url):
    """`queries_for` with every cache emptied first: as the first reader after a save meets the
    page, whatever was asked before it."""
    for each in caches.all():
        each.clear()
    return queries_for(client, url)


class GrowthTests(TestCase):
    """Counted with two records of every kind, then with seven: one record set, built once."""

    @classmethod
    def setUpTestData(cls):
        populate(2)
        cls.small = {url: cold_queries_for(Client(), url) for url in PAGES}
        populate(5, start=2)

    def test_page_query_count_does_not_grow_with_rows(self):
        for url in PAGES:
            with self.subTest(url):
                self.assertEqual(cold_queries_for(self.client, url), self.small[url])
                self.assertLessEqual(self.small[url], 12)


def test_source_page_query_count_does_not_grow_with_citations(client):
    source = factories.SourceFactory()
    populate(1)
    for organisation in factories.OrganisationFactory.create_batch(2):
        factories.CitationFactory.for_object(organisation, source=source)
    small = queries_for(client, source.get_absolute_url())
    populate(3, start=1)
    for organisation in factories.OrganisationFactory.create_batch(6):
        factories.CitationFactory.for_object(organisation, source=source)
    for case in factories.CaseFactory.create_batch(4):
        factories.CitationFactory.for_object(case, source=source)
    large = queries_for(client, source.get_absolute_url())
    # One more kind of record (cases) cites the source: one more query, no more.
    assert large == small + 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Every page first reads the data versions (one query, for the page and its cached
        # parts); every detail page ends with one query for the citations of every fact it
        # shows (tracker.footnotes) and one for its change log.
        # Home (tracker.home): the counts in two queries (those a case's edit changes, and the
        # rest), the latest designations (then their evidence marks) and events, one GROUP BY
        # query per chart.
        ("/", 8),
        ("/organisations/", 6),
        ("/organisations/org-0/", 7),
        # The data version, the count, the page (with organisation and law), the evidence of
        # the page's rows (tracker.models.evidence.mark_evidence); the law select.
        ("/designations/", 5),
        ("/designations/?type=undesirable&law=law-0&year=2025&as_of=2025-06-01&q=alpha", 6),
        # The data version, the count, the page, then the designations and the cases under the
        # page's laws, one grouped query each (kept per law and data version: row_counts).
        ("/laws/", 5),
        # One more for the chart of designations and cases per year (one UNION query).
        ("/laws/law-0/", 10),
        ("/cases/", 6),
        ("/cases/?sort=date&person=Person+0+Alpha", 6),
        ("/organisations/?designated_by=RU", 6),
        ("/cases/case-0/", 8),
        ("/people/", 4),
        ("/people/person-0/", 7),
        # The data version, the count, the page, its sources' public citations counted.
        ("/sources/", 4),
        # One count query, one ranked query for all kinds, then the records and their aliases.
        ("/search/?q=alpha", 10),
    ],
)
def test_exact_query_counts(client, django_assert_num_queries, url, expected):
    populate(3)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
