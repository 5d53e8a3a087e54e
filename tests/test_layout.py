"""The shared layout: landmarks, breadcrumbs, filter chips, list cells that reflow, admin CSS."""

import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.urls import reverse

from tests import factories
from tests.conftest import PASSWORD


class Page(HTMLParser):
    """The parts of a page these tests look at, gathered in one pass."""

    def __init__(self, html):
        super().__init__()
        self.tags = []  # (tag, attrs) of every start tag, in order
        self.breadcrumb_items = []  # [(text, href or None, aria-current or None)]
        self.list_tables = []  # [{"headers": [...], "cells": [(data-label, text)]}]
        self._stack = []
        self._crumb = None
        self._table = None
        self._cell = None
        self._in_head = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "nav" and attrs.get("aria-label") == "Breadcrumb":
            self._stack.append("breadcrumbs")
        if "breadcrumbs" in self._stack and tag == "li":
            self._crumb = ["", None, None]
        if self._crumb is not None and tag in ("a", "span"):
            if tag == "a":
                self._crumb[1] = attrs.get("href")
            if "aria-current" in attrs:
                self._crumb[2] = attrs["aria-current"]
        if tag == "table" and "list" in attrs.get("class", "").split():
            self._table = {"headers": [], "cells": []}
        if self._table is not None and tag == "thead":
            self._in_head = True
        if self._table is not None and tag in ("th", "td"):
            self._cell = [tag, attrs.get("data-label"), ""]

    def handle_endtag(self, tag):
        if tag == "nav" and "breadcrumbs" in self._stack:
            self._stack.remove("breadcrumbs")
        if tag == "li" and self._crumb is not None:
            self.breadcrumb_items.append((self._crumb[0].strip(), self._crumb[1], self._crumb[2]))
            self._crumb = None
        if self._table is not None and tag == "thead":
            self._in_head = False
        if self._cell is not None and tag == self._cell[0]:
            kind, label, text = self._cell
            if kind == "th" and self._in_head:
                self._table["headers"].append(text.strip())
            elif kind == "td":
                self._table["cells"].append((label, text.strip()))
            self._cell = None
        if tag == "table" and self._table is not None:
            self.list_tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._crumb is not None:
            self._crumb[0] += data
        if self._cell is not None:
            self._cell[2] += data

    def find(self, tag, **attrs):
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


class LayoutTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(
            title="Law on undesirable organisations",
            short_title="undesirable organisations law",
            slug="undesirable-organisations-law",
        )
        cls.organisation = factories.OrganisationFactory(
            name="Amnesty International", slug="amnesty-international", country="GB"
        )
        factories.OrganisationAliasFactory(organisation=cls.organisation, name="AIL")
        cls.source = factories.SourceFactory(title="Amnesty declared undesirable")
        factories.CitationFactory.for_object(cls.organisation, source=cls.source)
        designation = factories.DesignationFactory(
            organisation=cls.organisation, law=cls.law, decision_date=datetime.date(2025, 5, 19)
        )
        factories.CitationFactory.for_object(designation, source=cls.source)
        cls.person = factories.PersonFactory(name="Maria Bontsler", slug="maria-bontsler")
        cls.case = factories.CaseFactory(
            title="Case against Maria Bontsler", slug="bontsler", people=[cls.person]
        )
        factories.ChargeFactory(case=cls.case, law=cls.law, description="courtroom statements")
        factories.CaseEventFactory(case=cls.case)
        factories.CitationFactory.for_object(cls.case, source=cls.source)

    def page(self, url, status=200):
        response = self.client.get(url)
        self.assertEqual(response.status_code, status, url)
        return Page(response.content.decode())

    # Landmarks and language

    def test_every_page_has_its_landmarks_and_language(self):
        for url in ["/", "/organisations/", "/cases/bontsler/", "/search/?q=amnesty"]:
            with self.subTest(url=url):
                page = self.page(url)
                self.assertEqual(page.find("html")[0].get("lang"), "en-gb")
                self.assertEqual(len(page.find("header")), 1)
                self.assertEqual(len(page.find("main", id="main")), 1)
                self.assertEqual(len(page.find("footer")), 1)
                self.assertEqual(len(page.find("nav", **{"aria-label": "Main"})), 1)
                self.assertTrue(page.find("a", href="#main"), "skip link")
                self.assertEqual(len(page.find("input", id="site-q")), 1, "search box")
                self.assertTrue(page.find("label", **{"for": "site-q"}))

    # Breadcrumbs

    def test_detail_pages_have_breadcrumbs_ending_in_the_current_page(self):
        pages = {
            "/organisations/amnesty-international/": ("Organisations", "/organisations/"),
            "/laws/undesirable-organisations-law/": ("Laws and articles", "/laws/"),
            "/cases/bontsler/": ("Cases", "/cases/"),
            "/people/maria-bontsler/": ("People", "/people/"),
            self.source.get_absolute_url(): ("Sources", "/sources/"),
        }
        names = {
            "/organisations/amnesty-international/": "Amnesty International",
            "/laws/undesirable-organisations-law/": "Law on undesirable organisations",
            "/cases/bontsler/": "Case against Maria Bontsler",
            "/people/maria-bontsler/": "Maria Bontsler",
            self.source.get_absolute_url(): "Amnesty declared undesirable",
        }
        for url, (section, section_url) in pages.items():
            with self.subTest(url=url):
                page = self.page(url)
                self.assertEqual(
                    page.breadcrumb_items,
                    [("Home", "/", None), (section, section_url, None), (names[url], None, "page")],
                )
                self.assertNotIn(b'class="breadcrumb"', self.client.get(url).content)

    def test_list_and_other_pages_have_breadcrumbs_but_home_has_none(self):
        for url, name in [
            ("/organisations/", "Organisations"),
            ("/designations/", "Designations"),
            ("/search/?q=x", "Search"),
            ("/data/", "Bulk data"),
        ]:
            with self.subTest(url=url):
                self.assertEqual(
                    self.page(url).breadcrumb_items, [("Home", "/", None), (name, None, "page")]
                )
        self.assertEqual(self.page("/").breadcrumb_items, [])
        self.assertEqual(
            self.page("/no-such-page/", status=404).breadcrumb_items[-1],
            ("Not found", None, "page"),
        )

    # Filter chips

    def chips(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return response.context["active_filters"], response.content.decode()

    def test_chips_name_values_as_readers_know_them(self):
        chips, html = self.chips(
            "/cases/?status=convicted&country=RU&law=undesirable-organisations-law"
            "&person=Maria+Bontsler&year=2025&page=1"
        )
        self.assertEqual(
            [(chip.label, chip.value) for chip in chips],
            [
                ("Law", "undesirable organisations law"),
                ("Status", "Convicted"),
                ("Country", "Russia"),
                ("Year of an event", "2025"),
                ("Person", "Maria Bontsler"),
            ],
        )
        self.assertIn('aria-label="Remove filter: Status = Convicted"', html)
        self.assertIn('aria-label="Remove filter: Country = Russia"', html)
        self.assertIn(">Clear all</a>", html)
        self.assertNotIn("Remove filter: Law = undesirable-organisations-law", html)

    def test_each_chip_drops_exactly_its_filter_and_keeps_the_others(self):
        url = "/designations/?type=undesirable&designated_by=RU&organisation=amnesty-international"
        chips, html = self.chips(url + "&page=2&format=nope")
        given = {"type": ["undesirable"], "designated_by": ["RU"]}
        given["organisation"] = ["amnesty-international"]
        self.assertEqual([chip.name for chip in chips], ["type", "designated_by", "organisation"])
        for chip in chips:
            with self.subTest(chip=chip.name):
                parts = urlsplit(chip.remove_url)
                self.assertEqual(parts.path, "/designations/")
                expected = {name: value for name, value in given.items() if name != chip.name}
                # The page and the format go too: the list without the filter starts afresh.
                self.assertEqual(parse_qs(parts.query), expected)
                self.assertIn(f'href="{chip.remove_url.replace("&", "&amp;")}"', html)
                self.assertEqual(self.client.get(chip.remove_url).status_code, 200)
        self.assertEqual(chips[1].value, "Russia")
        self.assertEqual(chips[2].value, "Amnesty International")

    def test_an_invalid_value_gets_a_chip_marked_ignored(self):
        chips, html = self.chips("/cases/?status=convicted&year=nineteen")
        self.assertEqual(
            [(chip.name, chip.ignored) for chip in chips], [("status", False), ("year", True)]
        )
        self.assertEqual(chips[1].value, "nineteen")
        self.assertEqual(chips[1].remove_url, "/cases/?status=convicted")
        self.assertIn("chip-ignored", html)

    def test_no_chips_without_filters(self):
        chips, html = self.chips("/cases/?page=1&q=")
        self.assertEqual(chips, [])
        self.assertNotIn("Active filters", html)

    def test_filter_form_labels_belong_to_their_inputs(self):
        for url in [
            "/organisations/",
            "/designations/",
            "/laws/",
            "/cases/",
            "/people/",
            "/sources/",
        ]:
            with self.subTest(url=url):
                page = self.page(url)
                labelled = {attrs.get("for") for attrs in page.find("label")}
                fields = [
                    attrs["id"]
                    for tag, attrs in page.tags
                    if tag in ("input", "select") and attrs.get("type") != "submit"
                ]
                self.assertTrue(fields)
                self.assertEqual(set(fields) - labelled, set())

    # Tables that reflow into cards

    def test_every_cell_of_a_list_table_carries_its_column_header(self):
        for url in [
            "/organisations/",
            "/designations/",
            "/laws/",
            "/cases/",
            "/people/",
            "/sources/",
        ]:
            with self.subTest(url=url):
                tables = self.page(url).list_tables
                self.assertEqual(len(tables), 1)
                headers, cells = tables[0]["headers"], tables[0]["cells"]
                self.assertTrue(cells, "the list shows rows")
                expected = [headers[i % len(headers)] for i in range(len(cells))]
                self.assertEqual([label for label, _ in cells], expected)

    # Admin

    def test_admin_pages_load_the_admin_stylesheet(self):
        self.assertContains(self.client.get(reverse("admin:login")), "/static/css/admin.css")
        user = get_user_model().objects.create_superuser("root", "r@example.org", PASSWORD)
        client = Client()
        client.force_login(user)
        for url in [
            reverse("admin:index"),
            reverse("admin:tracker_designation_changelist"),
            reverse("admin:tracker_organisation_change", args=[self.organisation.pk]),
        ]:
            with self.subTest(url=url):
                response = client.get(url)
                self.assertContains(response, 'href="/static/css/admin.css"')
                # After Django's own stylesheets, so its rules win.
                html = response.content.decode()
                self.assertGreater(html.index("css/admin.css"), html.index("admin/css/base.css"))
