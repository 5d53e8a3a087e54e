"""CSV exports written from `tracker.shape_rows` (light dicts read per chunk from values())
are byte for byte the CSV written from the serializers, for every list, on a varied data set."""

import datetime

import pytest
from django.test import RequestFactory, TestCase, override_settings

from bench import synthetic
from tests import factories
from tracker import exports, shape_rows, shapes
from tracker.choices import State
from tracker.models import Case, Person

LISTS = {
    "/organisations/": shapes.OrganisationShape,
    "/designations/": shapes.DesignationShape,
    "/laws/": shapes.LawShape,
    "/cases/": shapes.CaseShape,
    "/people/": shapes.PersonShape,
    "/sources/": shapes.SourceShape,
}


def edge_cases():
    """Records the synthetic set has none of: drafts linked to public records, formula-like
    and Cyrillic text, charges without a law or repeating its title, unverified and
    address-less sources, every date precision."""
    law = factories.LawFactory(title="Закон о нежелательных", short_title="=SUM(A1)")
    draft_law = factories.LawFactory(title="Draft law", state=State.DRAFT)
    unverified = factories.SourceFactory(reliability="unverified", url="")
    established = factories.SourceFactory(title="+cell", publisher="@name")
    draft_person = factories.PersonFactory(name="Draft Person", state=State.DRAFT)
    person = factories.PersonFactory(name="-Минус", country="")
    draft_org = factories.OrganisationFactory(name="Draft Org", state=State.DRAFT)
    organisation = factories.OrganisationFactory(name="'=quoted", country="UA", website="")
    factories.OrganisationAliasFactory(organisation=organisation, name="Алиас")
    for precision in ("day", "month", "year", "approximate"):
        case = factories.CaseFactory(
            title=f"Case {precision}", people=[person, draft_person], country="BY"
        )
        case.organisations.add(organisation, draft_org)
        factories.ChargeFactory(case=case, law=law, description="«Закон о нежелательных»")
        factories.ChargeFactory(case=case, law=None, description="Hooliganism")
        factories.ChargeFactory(case=case, law=draft_law, description="hidden law")
        factories.CaseEventFactory(
            case=case, date=datetime.date(2024, 3, 5), date_precision=precision
        )
        factories.CaseEventFactory(case=case, date=None, date_precision="day", kind="trial")
        factories.CitationFactory.for_object(case, source=unverified)
        if precision != "year":
            factories.CitationFactory.for_object(case, source=established)
    factories.CaseFactory(title="Draft case", people=[person], state=State.DRAFT)
    # Lists in an order that is not their ids' (the database joins them, tracker.shape_rows):
    # people by name, sources as first cited.
    zed, adam = factories.PersonFactory(name="Zed Order"), factories.PersonFactory(name="Adam")
    cited_first = factories.SourceFactory(title="Cited first")  # the highest id
    ordered = factories.CaseFactory(title="Ordered", people=[zed, adam, draft_person])
    factories.CitationFactory.for_object(ordered, source=cited_first)
    factories.CitationFactory.for_object(ordered, source=established)
    designation = factories.DesignationFactory(
        organisation=organisation, law=law, decision_date_precision="month", register_date=None
    )
    factories.CitationFactory.for_object(designation, source=established)
    factories.DesignationFactory(organisation=draft_org, law=law)
    factories.DesignationFactory(organisation=organisation, law=draft_law)
    factories.DesignationFactory(organisation=organisation, law=None, kind="extremist")


# The page cache off: both downloads are written (a whole export would otherwise be served
# again from the cache, and compared with itself).
@override_settings(SITE_URL="https://tracker.example.org", PAGE_CACHE=False)
class TestSameBytesAsTheSerializers(TestCase):
    @classmethod
    def setUpTestData(cls):
        synthetic.generate(
            synthetic.Scale(cases=60, organisations=25, people=30, laws=12, sources=80),
            seed=3,
            log=lambda *args: None,
        )
        edge_cases()

    def get(self, url):
        response = self.client.get(url)
        assert response.status_code == 200
        return response.getvalue()

    def assert_same(self, path, query="", language=""):
        """The whole download, from the light dicts and again from the serializers."""
        url = f"{language and '/' + language}{path}?format=csv{query}"
        body = self.get(url)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(exports, "_flat_records", exports._records)
            expected = self.get(url)
        assert body.count(b"\n") > 2, body
        assert body == expected

    def test_every_list(self):
        for path in LISTS:
            with self.subTest(path):
                self.assert_same(path)

    def test_chunk_boundaries(self):
        # Parts of records in different chunks (a person in several cases) and lists split
        # across chunks read the same.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(shape_rows, "CHUNK_SIZE", 7)
            for path in LISTS:
                with self.subTest(path):
                    self.assert_same(path)

    def test_filtered_and_ordered(self):
        self.assert_same("/cases/", "&country=BY")
        self.assert_same("/cases/", "&status=convicted&year=2024")
        self.assert_same("/people/", "&country=RU")
        self.assert_same("/sources/", "&reliability=unverified")

    def test_another_language(self):
        # Labels, country names and dates read in the page's language.
        for path in ("/cases/", "/organisations/"):
            with self.subTest(path):
                self.assert_same(path, language="ru")

    def test_nothing_unpublished(self):
        body = self.client.get("/cases/?format=csv").getvalue().decode()
        for draft in ("Draft Person", "Draft Org", "Draft case", "Draft law", "hidden law"):
            assert draft not in body
        assert "-Минус" in body  # the public person beside the draft one

    def test_evidence_is_the_models_rule(self):
        request = RequestFactory().get("/cases/")
        chunks = shape_rows.csv_chunks(
            shapes.CaseShape.queryset().order_by("pk"), shapes.CaseShape, {"request": request}
        )
        headers = [header for header, _ in exports.csv_columns(shapes.CaseShape)]
        ids, evidence = headers.index("id"), headers.index("evidence")
        evidence = {
            pk: value
            for columns in chunks
            for pk, value in zip(columns[ids], columns[evidence], strict=True)
        }
        expected = {case.pk: case.evidence for case in Case.objects.published().with_evidence()}
        assert evidence == expected
        assert set(evidence.values()) == {"confirmed", "unverified"}

    def test_a_field_without_a_rule_fails_loudly(self):
        from django.core.exceptions import ImproperlyConfigured
        from rest_framework import serializers

        class Odd(shapes.PersonShape):
            odd = serializers.SerializerMethodField()

            class Meta(shapes.PersonShape.Meta):
                fields = (*shapes.PersonShape.Meta.fields, "odd")

            def get_odd(self, person):
                return 1

        with pytest.raises(ImproperlyConfigured):
            list(shape_rows.csv_chunks(Person.objects.published(), Odd, {}))


@override_settings(PAGE_CACHE=False)  # every download written, none served from the cache
class TestQueriesPerChunk(TestCase):
    """A fixed number of queries per chunk, however many records and parts it holds."""

    @classmethod
    def setUpTestData(cls):
        edge_cases()

    def queries(self, path):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.client.get(f"{path}?format=csv").getvalue()
        return len(captured)

    def test_parts_are_read_without_testing_their_records_again(self):
        """A chunk's charges and events are read by the ids of its cases, public already: their
        queries name no table of cases (PostgreSQL hashed every public case for each)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            body = self.client.get("/cases/?format=csv").getvalue().decode()
        parts = [
            query["sql"]
            for query in captured
            if query["sql"].startswith(('SELECT "tracker_charge"', 'SELECT "tracker_caseevent"'))
        ]
        assert {sql.split(".")[0] for sql in parts} == {
            'SELECT "tracker_charge"',
            'SELECT "tracker_caseevent"',
        }
        for sql in parts:
            assert '"tracker_case"' not in sql
            if sql.startswith('SELECT "tracker_charge"'):
                assert "public_U0" in sql  # a charge's law is still tested
        assert "hidden law" not in body and "Draft case" not in body

    def test_a_part_of_nothing_has_no_record_to_leave_out(self):
        from tracker.models import Source

        with pytest.raises(ValueError, match="not part of a record"):
            str(Source.objects.published(part_of_public=True).query)

    def test_more_records_no_more_queries(self):
        for path in LISTS:
            with self.subTest(path):
                self.queries(path)  # content types and the like, looked up once
                before = self.queries(path)
                edge_cases()  # as many records again, each with its parts
                assert self.queries(path) == before
