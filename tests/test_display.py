"""One timezone story and honest numbers: partial dates in `<time>` exactly as precise as stored,
every time in settings.TIME_ZONE and labelled with it (public pages and admin alike), "last
updated" agreeing with the change log near midnight, and fines with grouped digits."""

import datetime

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import TestCase, override_settings

from tests import factories
from tests.conftest import logged_in, staff_member
from tracker.choices import DatePrecision
from tracker.history import first_versions
from tracker.models import Organisation, Penalty
from tracker.roles import EDITOR
from tracker.templatetags.display import money

NEAR_MIDNIGHT = datetime.datetime(2025, 11, 21, 23, 59, 30, tzinfo=datetime.UTC)


class PartialDateMarkupTests(TestCase):
    """`<time datetime>` says no more than the stored precision, on every page that shows one."""

    @classmethod
    def setUpTestData(cls):
        cls.organisation = factories.OrganisationFactory(slug="memorial")
        cls.law = factories.LawFactory(
            slug="the-law",
            adopted_date=datetime.date(2014, 1, 1),
            adopted_date_precision=DatePrecision.YEAR,
        )
        cls.designation = factories.DesignationFactory(
            organisation=cls.organisation,
            law=cls.law,
            decision_date=datetime.date(2025, 3, 1),
            decision_date_precision=DatePrecision.MONTH,
            register_date=datetime.date(2024, 1, 1),
            register_date_precision=DatePrecision.APPROXIMATE,
        )
        cls.case = factories.CaseFactory(slug="the-case")
        factories.CaseEventFactory(
            case=cls.case, date=datetime.date(2025, 3, 14), date_precision=DatePrecision.DAY
        )
        factories.CaseEventFactory(
            case=cls.case, date=datetime.date(2023, 6, 1), date_precision=DatePrecision.MONTH
        )
        source = factories.SourceFactory(
            published_date=datetime.date(2022, 4, 1),
            published_date_precision=DatePrecision.MONTH,
        )
        factories.CitationFactory.for_object(cls.designation, source=source)

    def setUp(self):
        cache.clear()

    def page(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return response.content.decode()

    def test_organisation_page(self):
        page = self.page("/organisations/memorial/")
        self.assertIn('<time datetime="2025-03">March 2025</time>', page)
        self.assertIn('<time datetime="2024">c. 2024</time>', page)
        self.assertIn('<time datetime="2022-04">April 2022</time>', page)  # the citation's source
        self.assertNotIn('datetime="2025-03-01"', page)
        self.assertNotIn('datetime="2024-01-01"', page)

    def test_lists_and_home(self):
        self.assertIn('<time datetime="2025-03">March 2025</time>', self.page("/designations/"))
        self.assertIn('<time datetime="2014">2014</time>', self.page("/laws/"))
        self.assertIn('<time datetime="2022-04">April 2022</time>', self.page("/sources/"))
        home = self.page("/")
        self.assertIn('<time datetime="2025-03">March 2025</time>', home)
        self.assertIn('<time datetime="2025-03-14">14 March 2025</time>', home)

    def test_case_and_law_pages(self):
        case = self.page("/cases/the-case/")
        self.assertIn('<time datetime="2025-03-14">14 March 2025</time>', case)
        self.assertIn('<time datetime="2023-06">June 2023</time>', case)
        self.assertNotIn('datetime="2023-06-01"', case)
        self.assertIn('<time datetime="2014">2014</time>', self.page("/laws/the-law/"))

    def test_register_date_stands_in_for_an_unknown_decision_date(self):
        only_registered = factories.DesignationFactory(
            decision_date=None,
            register_date=datetime.date(2021, 5, 1),
            register_date_precision=DatePrecision.MONTH,
        )
        self.assertEqual(only_registered.date_display, "registered May 2021")
        self.assertIn('registered <time datetime="2021-05">May 2021</time>', self.page("/"))


class TimezoneTests(TestCase):
    """A record loaded at 23:59:30 UTC: its "last updated" day and its change log agree."""

    @classmethod
    def setUpTestData(cls):
        cls.organisation = factories.OrganisationFactory(slug="near-midnight")
        # As the seed loader does: rows written raw (no history yet), then first versions.
        cls.organisation.history.all().delete()
        Organisation.objects.filter(pk=cls.organisation.pk).update(updated_at=NEAR_MIDNIGHT)
        first_versions()

    def setUp(self):
        cache.clear()

    def test_first_versions_are_dated_when_the_record_last_changed(self):
        version = self.organisation.history.get()
        self.assertEqual(version.history_date, NEAR_MIDNIGHT)

    def test_last_updated_and_change_log_agree_in_utc(self):
        page = self.client.get("/organisations/near-midnight/").content.decode()
        self.assertIn('Last updated <time datetime="2025-11-21">21 November 2025</time>', page)
        self.assertIn(
            '<time datetime="2025-11-21T23:59:30+00:00">21 November 2025, 23:59 UTC</time>'
            " — Record created",
            page,
        )
        self.assertNotIn("22 November", page)

    @override_settings(TIME_ZONE="Europe/Moscow")
    def test_another_declared_zone_is_used_and_named_everywhere(self):
        page = self.client.get("/organisations/near-midnight/").content.decode()
        self.assertIn('Last updated <time datetime="2025-11-22">22 November 2025</time>', page)
        self.assertIn(
            '<time datetime="2025-11-22T02:59:30+03:00">22 November 2025, 02:59 MSK</time>', page
        )
        self.assertNotIn("21 November", page)

    def test_a_later_logged_change_moves_last_updated(self):
        later = NEAR_MIDNIGHT + datetime.timedelta(minutes=2)
        organisation = factories.OrganisationFactory(slug="later")
        Organisation.objects.filter(pk=organisation.pk).update(updated_at=NEAR_MIDNIGHT)
        organisation.history.update(history_date=later)
        page = self.client.get("/organisations/later/").content.decode()
        self.assertIn('Last updated <time datetime="2025-11-22">22 November 2025</time>', page)
        self.assertIn("22 November 2025, 00:01 UTC", page)


class AdminTimezoneTests(TestCase):
    """The admin shows times as the public pages do: in settings.TIME_ZONE, named."""

    @classmethod
    def setUpTestData(cls):
        cls.editor = staff_member(get_user_model(), "editor", EDITOR)
        cls.organisation = factories.OrganisationFactory(name="Memorial")
        Organisation.objects.filter(pk=cls.organisation.pk).update(updated_at=NEAR_MIDNIGHT)
        cls.organisation.history.update(history_date=NEAR_MIDNIGHT)

    def setUp(self):
        self.client = logged_in(self.editor)

    def test_change_list_names_the_zone(self):
        page = self.client.get("/admin/tracker/organisation/").content.decode()
        self.assertIn("21 November 2025, 23:59 UTC", page)

    def test_history_names_the_zone(self):
        url = f"/admin/tracker/organisation/{self.organisation.pk}/history/"
        page = self.client.get(url).content.decode()
        self.assertIn("21 November 2025, 23:59 UTC", page)


class MoneyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(slug="fines")
        Penalty.objects.create(
            law=cls.law,
            kind="administrative",
            applies_to="participation",
            max_fine=15000,
            currency="RUB",
        )

    def test_fines_are_grouped_with_their_currency(self):
        cache.clear()
        page = self.client.get("/laws/fines/").content.decode()
        self.assertIn("15,000 RUB", page)
        self.assertNotIn("15000", page)

    def test_the_api_keeps_the_raw_number(self):
        data = self.client.get("/api/laws/fines/").json()
        self.assertEqual(data["penalties"][0]["max_fine"], 15000)

    def test_money_filter(self):
        self.assertEqual(money(1234567, "EUR"), "1,234,567 EUR")
        self.assertEqual(money(500, "RUB"), "500 RUB")
        self.assertEqual(money(None, "RUB"), "")
