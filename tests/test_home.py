"""The home page's parts (tracker.home): right numbers, cached per version of what they show."""

import datetime
from unittest import mock

from django.core.cache import cache
from django.test import TestCase, override_settings

from tests import factories
from tracker import home
from tracker.choices import State
from tracker.models import (
    Case,
    CaseEvent,
    Citation,
    Designation,
    Law,
    Organisation,
    Person,
    Source,
)
from tracker.models.public import public_dependencies


class PublicDependenciesTest(TestCase):
    def test_a_record_depends_on_what_it_is_part_of_and_shows(self):
        self.assertEqual(public_dependencies(Designation), (Designation, Organisation, Law))
        self.assertEqual(public_dependencies(CaseEvent), (CaseEvent, Case))
        self.assertEqual(public_dependencies(Case), (Case,))

    def test_a_source_depends_on_citations_and_every_cited_kind(self):
        found = public_dependencies(Source)
        self.assertEqual(found[:2], (Source, Citation))
        self.assertTrue({Organisation, Designation, Law, Case, CaseEvent, Person} <= set(found))
        self.assertEqual(len(found), len(set(found)))


@override_settings(PAGE_CACHE=False)
class HomeTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.organisation = factories.OrganisationFactory(name="Visible Foundation")
        cls.designation = factories.DesignationFactory(organisation=cls.organisation)
        factories.CitationFactory.for_object(cls.designation)
        cls.hidden = factories.OrganisationFactory(name="Draft Society", state=State.DRAFT)
        factories.DesignationFactory(organisation=cls.hidden)
        cls.case = factories.CaseFactory(title="Trial of Someone")
        factories.CaseEventFactory(case=cls.case)
        factories.CaseFactory(title="Draft trial", state=State.DRAFT)

    def setUp(self):
        cache.clear()

    def test_numbers_count_what_the_public_may_see(self):
        self.assertEqual(
            home.counts(),
            {
                "organisations": Organisation.objects.published().count(),
                "laws": Law.objects.published().count(),
                "cases": Case.objects.published().count(),
                "people": Person.objects.published().count(),
                "sources": Source.objects.published().count(),
                "designations": 1,
                "designations_confirmed": Designation.objects.published()
                .with_evidence()
                .filter(evidence_confirmed=True)
                .count(),
                "designations_unverified": Designation.objects.published()
                .with_evidence()
                .filter(evidence_confirmed=False)
                .count(),
            },
        )
        self.assertEqual(home.counts()["organisations"], 1)

    def test_nothing_unpublished_reaches_the_page(self):
        content = self.client.get("/").content.decode()
        self.assertIn("Visible Foundation", content)
        self.assertIn("Trial of Someone", content)
        self.assertNotIn("Draft Society", content)
        self.assertNotIn("Draft trial", content)

    @override_settings(PAGE_CACHE=False)
    def test_a_repeat_render_reads_only_the_data_versions(self):
        self.client.get("/")
        # Rendered again (no page cache): the versions, read once for the page and its four
        # parts, which all come from the cache; nothing else.
        with self.assertNumQueries(1):
            self.client.get("/")

    def test_unpublishing_an_owner_reaches_every_cached_part(self):
        self.assertIn("Visible Foundation", self.client.get("/").content.decode())
        self.organisation.state = State.DRAFT
        self.organisation.save()
        content = self.client.get("/").content.decode()
        self.assertNotIn("Visible Foundation", content)
        self.assertIn("<strong>0</strong> organisations", content)
        self.assertIn("<strong>0</strong> designations", content)

    def test_each_part_is_keyed_by_what_decides_its_visibility(self):
        keyed, by_keys = {}, set()

        def record(name, models, render, **options):
            keyed[name] = set(models)
            if options.get("by_keys"):
                by_keys.add(name)
            return render()

        with mock.patch.object(home, "cached_fragment", side_effect=record):
            self.client.get("/")
        # Designations are shown by their organisation's name and marked by their sources.
        designation = {Designation, Organisation, Law, Citation, Source}
        self.assertTrue(designation | {CaseEvent, Case} <= keyed["home-latest"])
        self.assertTrue(designation | {Case, Person} <= keyed["home-numbers"])
        self.assertTrue({Designation, Organisation, Law} <= keyed["home-chart-designations"])
        self.assertTrue({Case} <= keyed["home-chart-statuses"])
        # Each chart and each part of the numbers apart: an edit to a case leaves the
        # designations' chart and the numbers of organisations, laws, people and
        # designations kept.
        self.assertNotIn(Case, keyed["home-chart-designations"])
        self.assertNotIn(Case, keyed["home-counts-records"])
        self.assertIn(Case, keyed["home-counts-cited"])
        # The numbers and charts count rows: kept by keys (an edit of a text leaves them).
        # The latest records show names and titles.
        self.assertEqual(by_keys, set(keyed) - {"home-latest"})


@override_settings(PAGE_CACHE=False)
class LatestDesignationsTest(TestCase):
    """The newest designations by the date the page shows for each (the decision's, or the
    register entry's when the decision is undated), as the designation list's default order."""

    @classmethod
    def setUpTestData(cls):
        for day in range(1, home.LATEST_SIZE + 1):  # a page of older, dated decisions
            factories.DesignationFactory(decision_date=datetime.date(2020, 1, day))
        cls.registered = factories.DesignationFactory(
            organisation=factories.OrganisationFactory(name="Registered Only"),
            decision_date=None,
            register_date=datetime.date(2025, 6, 1),
        )

    def setUp(self):
        cache.clear()

    def test_a_recent_register_entry_without_a_decision_date_is_among_the_latest(self):
        page = self.client.get("/").content.decode()
        latest = page.split('id="latest-designations"')[1].split("</section>")[0]
        self.assertIn("Registered Only", latest)
        self.assertLess(latest.index("Registered Only"), latest.index("2020"))
