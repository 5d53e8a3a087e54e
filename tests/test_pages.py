"""Pages that explain and can be cited: /about/, /methodology/, the licence, "cite this page",
OpenGraph and canonical meta, /sitemap.xml, /robots.txt and /favicon.ico."""

import datetime
import re
from pathlib import Path
from unittest import mock
from xml.etree import ElementTree  # noqa: S405 (the app's own output, in tests)

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import TestCase, override_settings
from django.utils.html import escape

from tests import factories
from tracker import bulk, sitemaps
from tracker.choices import Reliability, State
from tracker.models import Case, Organisation

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
UPDATED = datetime.datetime(2025, 11, 21, 23, 59, 30, tzinfo=datetime.UTC)


def locations(response):
    """Every <loc> of a sitemap or sitemap index."""
    root = ElementTree.fromstring(response.content)  # noqa: S314
    return [element.text for element in root.iter(f"{SITEMAP}loc")]


class ExplainerPageTests(TestCase):
    def setUp(self):
        cache.clear()

    def test_about_and_methodology_render_every_reliability_grade_from_the_choices(self):
        for url in ("/about/", "/methodology/"):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
        page = self.client.get("/methodology/").content.decode()
        for value, label in Reliability.choices:
            self.assertIn(f'<span class="badge badge-{value}">{escape(label)}</span>', page)

    def test_a_new_grade_appears_without_editing_the_page(self):
        choices = [*Reliability.choices, ("rumour", "Rumour only")]
        with mock.patch("tracker.pages.Reliability", mock.Mock(choices=choices)):
            page = self.client.get("/methodology/").content.decode()
        self.assertIn("Rumour only", page)

    def test_methodology_shows_partial_dates_no_more_precisely_than_known(self):
        page = self.client.get("/methodology/").content.decode()
        self.assertIn('<time datetime="2025-03">March 2025</time>', page)
        self.assertIn('<time datetime="2014">2014</time>', page)
        self.assertIn('<time datetime="2024">c. 2024</time>', page)
        self.assertIn('<time datetime="2025-03-14">14 March 2025</time>', page)

    def test_the_licence_comes_from_the_bulk_release_definition(self):
        page = self.client.get("/about/").content.decode()
        self.assertIn('id="licence"', page)
        self.assertIn(bulk.LICENCE_ID, page)
        self.assertIn(f'href="{bulk.LICENCE_URL}"', page)
        self.assertIn(escape(bulk.LICENCE_TEXT.splitlines()[1]), page)

    def test_corrections_address_is_shown_when_set_and_the_page_says_what_to_do_when_not(self):
        page = self.client.get("/methodology/").content.decode()
        self.assertIn("has not published an address for corrections", page)
        self.assertNotIn("mailto:", page)
        cache.clear()
        with override_settings(CORRECTIONS_EMAIL="corrections@example.org"):
            page = self.client.get("/methodology/").content.decode()
        self.assertIn('href="mailto:corrections@example.org"', page)
        self.assertNotIn("has not published an address", page)

    def test_every_page_links_to_about_methodology_licence_data_and_api(self):
        page = self.client.get("/").content.decode()
        for href in ("/about/", "/methodology/", "/about/#licence", "/data/", "/api/"):
            self.assertIn(f'href="{href}"', page)

    def test_explainer_pages_use_no_inline_styles_or_scripts(self):
        for url in ("/about/", "/methodology/"):
            page = self.client.get(url).content.decode()
            self.assertNotIn("style=", page)
            self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)")


class CiteAndMetaTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.organisation = factories.OrganisationFactory(
            name="Memorial", slug="memorial", description="A human rights society & archive."
        )
        cls.law = factories.LawFactory(slug="undesirable-law", summary="The 2015 law.")
        cls.person = factories.PersonFactory(slug="anna")
        cls.case = factories.CaseFactory(slug="the-case", people=[cls.person])
        cls.source = factories.SourceFactory(title="A report")
        factories.CitationFactory.for_object(cls.case, source=cls.source)
        records = [cls.organisation, cls.law, cls.person, cls.case]
        for record in records:
            type(record).objects.filter(pk=record.pk).update(updated_at=UPDATED)
            record.history.filter(id=record.pk).update(history_date=UPDATED)
        cls.source.history.all().update(history_date=UPDATED)
        type(cls.source).objects.filter(pk=cls.source.pk).update(updated_at=UPDATED)
        cls.records = [*records, cls.source]

    def setUp(self):
        cache.clear()

    def test_every_record_page_has_a_cite_block_with_permalink_and_last_updated(self):
        for record in self.records:
            url = record.get_absolute_url()
            page = self.client.get(url).content.decode()
            permalink = f"http://testserver{url}"
            self.assertIn('id="cite"', page, url)
            self.assertIn(f'<a href="{permalink}">{permalink}</a>', page, url)
            self.assertIn('<time datetime="2025-11-21">21 November 2025</time>', page, url)
            self.assertIn(
                f"Repression Tracker, “{escape(str(record))}”, {permalink} "
                "(last updated 21 November 2025; accessed [date you read it]).",
                page,
                url,
            )
            self.assertIn(f"@misc{{repression-tracker-{record._meta.model_name}-{record.pk},", page)

    def test_bibtex_escapes_what_latex_would_read(self):
        Organisation.objects.filter(pk=self.organisation.pk).update(name="50% & {more}")
        page = self.client.get("/organisations/memorial/").content.decode()
        self.assertIn(r"title = {50\% \&amp; \{more\}}", page)

    def test_record_pages_carry_opengraph_and_canonical_of_the_record(self):
        page = self.client.get("/organisations/memorial/?utm_source=x").content.decode()
        canonical = '<link rel="canonical" href="http://testserver/organisations/memorial/">'
        self.assertIn(canonical, page)
        self.assertIn(
            '<meta property="og:url" content="http://testserver/organisations/memorial/">', page
        )
        self.assertIn('<meta property="og:title" content="Memorial">', page)
        self.assertIn('<meta property="og:type" content="article">', page)
        self.assertIn('<meta property="og:site_name" content="Repression Tracker">', page)
        self.assertIn(
            '<meta property="og:description" content="A human rights society &amp; archive.">',
            page,
        )

    def test_other_pages_carry_opengraph_and_canonical_without_the_query(self):
        page = self.client.get("/cases/?status=convicted").content.decode()
        self.assertIn('<link rel="canonical" href="http://testserver/cases/">', page)
        self.assertIn('<meta property="og:type" content="website">', page)
        self.assertIn('<meta property="og:description"', page)
        self.assertIn('<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">', page)

    def test_a_not_found_page_claims_no_address(self):
        response = self.client.get("/organisations/no-such-org/")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(b'rel="canonical"', response.content)
        self.assertNotIn(b"no-such-org", response.content)


class SitemapTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.public_cases = [factories.CaseFactory(slug=f"public-case-{n}") for n in range(5)]
        cls.draft = factories.CaseFactory(slug="draft-case", state=State.DRAFT)
        cls.review = factories.CaseFactory(slug="review-case", state=State.REVIEW)
        cls.withdrawn = factories.CaseFactory(slug="withdrawn-case", state=State.WITHDRAWN)
        cls.organisation = factories.OrganisationFactory(slug="public-org")
        cls.draft_org = factories.OrganisationFactory(slug="draft-org", state=State.DRAFT)
        Case.objects.filter(pk=cls.public_cases[0].pk).update(updated_at=UPDATED)

    def setUp(self):
        cache.clear()

    def all_locations(self):
        index = self.client.get("/sitemap.xml")
        self.assertEqual(index.status_code, 200)
        found = []
        for page in locations(index):
            response = self.client.get(page.removeprefix("http://testserver"))
            self.assertEqual(response.status_code, 200, page)
            found += locations(response)
        return found

    def test_index_lists_a_sitemap_per_section(self):
        pages = locations(self.client.get("/sitemap.xml"))
        for section in ("pages", "organisations", "laws", "cases", "people", "sources"):
            self.assertIn(f"http://testserver/sitemap-{section}.xml", pages)

    def test_sitemaps_list_public_records_and_pages_only(self):
        found = self.all_locations()
        for case in self.public_cases:
            self.assertIn(f"http://testserver{case.get_absolute_url()}", found)
        self.assertIn("http://testserver/organisations/public-org/", found)
        for url in ("/", "/about/", "/methodology/", "/cases/", "/organisations/"):
            self.assertIn(f"http://testserver{url}", found)
        text = " ".join(found)
        for slug in ("draft-case", "review-case", "withdrawn-case", "draft-org"):
            self.assertNotIn(slug, text)

    def test_lastmod_comes_from_the_record(self):
        page = self.client.get("/sitemap-cases.xml").content.decode()
        self.assertIn("<lastmod>2025-11-21</lastmod>", page)

    def test_a_large_section_is_paged_and_each_page_is_a_bounded_query(self):
        with mock.patch.object(sitemaps.RecordSitemap, "limit", 2):
            pages = [
                url for url in locations(self.client.get("/sitemap.xml")) if "sitemap-cases" in url
            ]
            self.assertEqual(
                pages,
                [
                    "http://testserver/sitemap-cases.xml",
                    "http://testserver/sitemap-cases.xml?p=2",
                    "http://testserver/sitemap-cases.xml?p=3",
                ],
            )
            cache.clear()
            # The data version, then the page's COUNT and its one SELECT of at most 2 rows.
            with self.assertNumQueries(3):
                third = self.client.get("/sitemap-cases.xml?p=3")
            self.assertEqual(len(locations(third)), 1)
            cache.clear()
            # The index: the data version, then a COUNT and a MAX per record section.
            sections = len(sitemaps.sections()) - 1
            with self.assertNumQueries(1 + 2 * sections):
                self.client.get("/sitemap.xml")

    def test_a_page_past_the_end_or_an_unknown_section_is_not_found(self):
        for url in ("/sitemap-cases.xml?p=99", "/sitemap-cases.xml?p=x", "/sitemap-nothing.xml"):
            self.assertEqual(self.client.get(url).status_code, 404, url)


class RobotsAndFaviconTests(TestCase):
    def test_robots_txt_disallows_the_admin_and_names_the_sitemap(self):
        response = self.client.get("/robots.txt")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        lines = response.content.decode().splitlines()
        self.assertIn("Disallow: /admin/", lines)
        self.assertIn("Disallow: /api/match/", lines)
        self.assertIn("Sitemap: http://testserver/sitemap.xml", lines)
        self.assertNotIn("Disallow: /", lines)  # the public site stays crawlable

    @override_settings(ADMIN_PATH="editors/")
    def test_robots_txt_never_publishes_a_moved_admin_path(self):
        cache.clear()
        text = self.client.get("/robots.txt").content.decode()
        self.assertNotIn("editors", text)
        self.assertNotIn("/admin/", text)

    def test_favicon_ico_is_answered(self):
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/static/favicon.svg")

    def test_the_icon_is_a_small_svg_without_style_attributes(self):
        svg = Path(finders.find("favicon.svg")).read_text(encoding="utf-8")
        self.assertTrue(svg.startswith("<svg"))
        self.assertNotIn("style", svg)
        self.assertIsNone(re.search(r"<script", svg))
        self.assertLess(len(svg), 1024)
