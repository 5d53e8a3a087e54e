"""Server-side SVG charts: they agree with the database, count only published records,
draw partial dates as what they are, say when there is nothing to draw, and parse as XML."""

import datetime
import re
import xml.etree.ElementTree as ET

from django.core.cache import cache
from django.test import TestCase

from tests import factories
from tracker import charts
from tracker.choices import DatePrecision, State

SVG = "{http://www.w3.org/2000/svg}"


def figure(content, chart_id):
    """The <figure> holding the chart `chart_id` on a page."""
    start = r'<figure class="chart[^"]*">(?:(?!</figure>).)*?'
    match = re.search(rf'{start}id="{chart_id}-(?:title|table)".*?</figure>', content, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


def svg_of(html):
    """The chart's SVG, parsed as XML (fails on anything not well-formed)."""
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "no <svg>"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own page


def table_of(html):
    """The chart's data table as a list of rows of cell texts (header row first)."""
    match = re.search(r'<table class="chart-table".*?</table>', html, re.S)
    assert match, "no data table"
    table = ET.fromstring(match.group(0))  # noqa: S314 - our own page
    return [
        ["".join(cell.itertext()).strip() for cell in row]
        for row in table.iter("tr")  # thead then tbody
    ]


def bar_titles(svg):
    return sorted(rect.find(f"{SVG}title").text for rect in svg.iter(f"{SVG}rect"))


def day(year, month=1, date=1):
    return datetime.date(year, month, date)


class ChartData(TestCase):
    """One record with designations and cases of every kind of date, and hidden ones."""

    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(slug="charted-law", title="Charted law")
        cls.empty_law = factories.LawFactory(slug="empty-law", title="Law nobody used")
        undesirable, agent = "undesirable", "foreign_agent"

        def designation(kind, **dates):
            return factories.DesignationFactory(law=cls.law, kind=kind, **dates)

        designation(undesirable, decision_date=day(2020, 3, 1))
        designation(undesirable, decision_date=day(2020, 3, 2))
        designation(agent, decision_date=day(2020), decision_date_precision=DatePrecision.YEAR)
        designation(agent, decision_date=day(2022, 5), decision_date_precision=DatePrecision.MONTH)
        designation(
            undesirable, decision_date=day(2019), decision_date_precision=DatePrecision.APPROXIMATE
        )
        designation(undesirable, decision_date=None)
        # Dated by its entry in the register, as the page shows it.
        designation(undesirable, decision_date=None, register_date=day(2021, 6, 10))
        # Hidden: a draft, and a published designation of a draft organisation.
        factories.DesignationFactory(
            law=cls.law, kind=undesirable, decision_date=day(2020, 4, 4), state=State.DRAFT
        )
        factories.DesignationFactory(
            law=cls.law,
            kind=undesirable,
            decision_date=day(2020, 4, 5),
            organisation=factories.OrganisationFactory(state=State.DRAFT),
        )

        def case(status, *events, state=State.PUBLISHED, law=cls.law):
            record = factories.CaseFactory(status=status, state=state)
            if law:
                factories.ChargeFactory(case=record, law=law)
            for date, precision, kind in events:
                factories.CaseEventFactory(
                    case=record, date=date, date_precision=precision, kind=kind
                )
            return record

        cls.case = case(
            "convicted",
            (day(2020, 2, 3), DatePrecision.DAY, "arrest"),
            (day(2020, 6), DatePrecision.MONTH, "hearing"),
            (day(2021), DatePrecision.YEAR, "verdict"),
            (day(2018), DatePrecision.APPROXIMATE, "search"),
            (None, DatePrecision.DAY, "exile"),
        )
        case("released", (day(2018), DatePrecision.APPROXIMATE, "arrest"))
        case("exile")
        case("trial", (day(2023, 1, 5), DatePrecision.DAY, "arrest"), law=None)
        case("convicted", (day(2020, 1, 1), DatePrecision.DAY, "arrest"), state=State.DRAFT)

        cls.organisation = factories.OrganisationFactory(slug="charted-organisation")
        cls.revoked = factories.DesignationFactory(
            organisation=cls.organisation,
            law=None,
            decision_date=day(2015, 7, 20),
            register_date=day(2015, 8),
            register_date_precision=DatePrecision.MONTH,
            revoked_date=day(2017),
            revoked_date_precision=DatePrecision.YEAR,
        )


class HomeChartsTest(ChartData):
    def setUp(self):
        self.content = self.client.get("/").content.decode()

    def test_designations_per_year_agree_with_the_database(self):
        html = figure(self.content, "chart-designations-per-year")
        # Published only: the draft and the draft organisation's designation (both 2020)
        # would make 2020 read 4 undesirable designations.
        self.assertEqual(
            bar_titles(svg_of(html)),
            sorted(
                [
                    "2015: Undesirable organisation — 1",  # the organisation's, below
                    "2020: Undesirable organisation — 2",
                    "2020: Foreign agent — 1",
                    "2021: Undesirable organisation — 1",
                    "2022: Foreign agent — 1",
                ]
            ),
        )
        self.assertEqual(
            table_of(html),
            [
                ["Year", "Undesirable organisation", "Foreign agent"],
                ["2015", "1", "0"],
                ["2020", "2", "1"],
                ["2021", "1", "0"],
                ["2022", "0", "1"],
                ["Approximate year (c.)", "1", "0"],
                ["Year not known", "1", "0"],
            ],
        )

    def test_bars_are_drawn_to_scale(self):
        svg = svg_of(figure(self.content, "chart-designations-per-year"))
        heights = {
            rect.find(f"{SVG}title").text: float(rect.get("height"))
            for rect in svg.iter(f"{SVG}rect")
        }
        self.assertAlmostEqual(
            heights["2020: Undesirable organisation — 2"],
            2 * heights["2021: Undesirable organisation — 1"],
            delta=0.2,
        )

    def test_records_with_no_known_year_are_counted_not_dropped(self):
        html = figure(self.content, "chart-designations-per-year")
        self.assertIn("1 has no known year and is not drawn.", html)
        self.assertIn("1 is dated only approximately (“c.”)", html)

    def test_cases_by_status_count_published_cases_only(self):
        html = figure(self.content, "chart-cases-by-status")
        svg = svg_of(html)
        counts = {
            group.get("class").split()[-1]: group.find(f"{SVG}text[@class='chart-count']").text
            for group in svg.iter(f"{SVG}g")
        }
        # The draft convicted case would make "convicted" read 2.
        self.assertEqual(
            counts,
            {
                "category-trial": "1",
                "category-convicted": "1",
                "category-released": "1",
                "category-exile": "1",
            },
        )
        self.assertIn(["Convicted", "1"], table_of(html))

    def test_charts_are_accessible_and_fit_any_width(self):
        for chart_id in ("chart-designations-per-year", "chart-cases-by-status"):
            html = figure(self.content, chart_id)
            svg = svg_of(html)
            self.assertEqual(svg.get("role"), "img")
            self.assertEqual(svg.get("aria-labelledby"), f"{chart_id}-title {chart_id}-desc")
            self.assertEqual(svg.find(f"{SVG}title").get("id"), f"{chart_id}-title")
            self.assertIsNone(svg.get("width"))  # scales with its viewBox, width from CSS
            self.assertRegex(svg.get("viewBox"), r"^0 0 \d+ \d+")
            self.assertNotIn("style=", html)  # the CSP forbids style attributes

    def test_coordinates_stay_numbers_in_every_language(self):
        # Russian writes decimals with a comma; SVG coordinates must not follow it.
        geometry = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "dy"}
        for language in ("en-gb", "ru"):
            prefix = "" if language == "en-gb" else f"/{language}"
            content = self.client.get(f"{prefix}/").content.decode()
            for chart_id in ("chart-designations-per-year", "chart-cases-by-status"):
                svg = svg_of(figure(content, chart_id))
                for element in svg.iter():
                    for name in geometry & set(element.attrib):
                        with self.subTest(language=language, chart=chart_id, attribute=name):
                            float(element.get(name))
                self.assertNotIn(",", svg.get("viewBox"))

    def test_home_page_query_count(self):
        cache.clear()  # render the page, not serve the copy setUp left in the page cache
        # The data version, read once for the page and its parts (tracker.home); the counts in
        # two queries, the latest designations (then their evidence marks) and events, and one
        # query per chart.
        with self.assertNumQueries(8):
            self.client.get("/")


class LawChartTest(ChartData):
    def test_designations_and_cases_per_year_under_the_law(self):
        content = self.client.get(self.law.get_absolute_url()).content.decode()
        html = figure(content, "chart-law-per-year")
        # Cases are dated by their first dated event (the 2018 "c." search for the first
        # case); the draft case (2020) and the case under no law (2023) are not counted.
        self.assertEqual(
            table_of(html),
            [
                ["Year", "Designations", "Cases"],
                ["2020", "3", "0"],
                ["2021", "1", "0"],
                ["2022", "1", "0"],
                ["Approximate year (c.)", "1", "2"],
                ["Year not known", "1", "1"],
            ],
        )
        self.assertEqual(
            bar_titles(svg_of(html)),
            ["2020: Designations — 3", "2021: Designations — 1", "2022: Designations — 1"],
        )

    def test_a_law_with_nothing_under_it_says_so(self):
        content = self.client.get(self.empty_law.get_absolute_url()).content.decode()
        self.assertIn("No designation or case under this law is published yet", content)
        self.assertNotIn("<svg", content)


class TimelineTest(ChartData):
    def test_case_events_drawn_as_what_their_dates_are(self):
        content = self.client.get(self.case.get_absolute_url()).content.decode()
        html = figure(content, "chart-case-timeline")
        svg = svg_of(html)
        marks = [
            (element.tag.removeprefix(SVG), element.get("class"))
            for element in svg.iter()
            if "mark" in (element.get("class") or "").split()
        ]
        # In date order: c. 2018 (dashed), 3 February 2020 (a point), June 2020 (a month),
        # 2021 (a year); the undated exile gets no mark.
        self.assertEqual(
            marks,
            [
                ("rect", "mark mark-approximate"),
                ("circle", "mark mark-day"),
                ("rect", "mark mark-month"),
                ("rect", "mark mark-year"),
            ],
        )
        headings = [
            text.text for text in svg.iter(f"{SVG}text") if text.get("class") == "entry-heading"
        ]
        self.assertEqual(headings[0], "c. 2018 · Search")
        self.assertEqual(headings[-1], "date unknown · Exile")
        heights = {rect.get("class"): float(rect.get("height")) for rect in svg.iter(f"{SVG}rect")}
        self.assertGreater(heights["mark mark-year"], 5 * heights["mark mark-month"])

    def test_case_timeline_table_links_each_event(self):
        content = self.client.get(self.case.get_absolute_url()).content.decode()
        html = figure(content, "chart-case-timeline")
        for event in self.case.events.all():
            self.assertIn(f'href="#event-{event.pk}"', html)
            self.assertIn(f'id="event-{event.pk}"', content)  # the anchor exists

    def test_organisation_timeline_shows_decision_register_and_revocation(self):
        content = self.client.get(self.organisation.get_absolute_url()).content.decode()
        html = figure(content, "chart-designation-timeline")
        svg = svg_of(html)
        headings = [
            text.text for text in svg.iter(f"{SVG}text") if text.get("class") == "entry-heading"
        ]
        self.assertEqual(
            headings,
            ["20 July 2015 · Decision", "August 2015 · Entered in the register", "2017 · Revoked"],
        )
        self.assertEqual(len(list(svg.iter(f"{SVG}circle"))), 1)  # only the exact day
        self.assertIn(f'href="#designation-{self.revoked.pk}"', html)

    def test_detail_pages_add_no_query_for_timelines(self):
        # The timelines are drawn from what the page already loads.
        cache.clear()
        with self.assertNumQueries(8):
            self.client.get(self.case.get_absolute_url())
        with self.assertNumQueries(7):
            self.client.get(self.organisation.get_absolute_url())


class GeometryTest(TestCase):
    def test_partial_dates_cover_what_they_claim(self):
        self.assertEqual(
            charts.date_span(day(2024, 2, 9), DatePrecision.DAY),
            (day(2024, 2, 9), day(2024, 2, 10), "day"),
        )
        self.assertEqual(
            charts.date_span(day(2024, 2), DatePrecision.MONTH),
            (day(2024, 2), day(2024, 3), "month"),
        )
        self.assertEqual(
            charts.date_span(day(2024), DatePrecision.YEAR), (day(2024), day(2025), "year")
        )
        self.assertEqual(
            charts.date_span(day(2024), DatePrecision.APPROXIMATE),
            (day(2024), day(2025), "approximate"),
        )

    def test_axis_maximum_is_a_round_whole_number(self):
        self.assertEqual(
            [charts.nice_ceiling(n) for n in (0, 1, 3, 5, 7, 11, 45, 120)],
            [1, 1, 4, 5, 10, 20, 50, 200],
        )

    def test_nothing_to_draw(self):
        counts = charts.YearCounts()
        self.assertIsNone(
            charts.year_bars(counts, charts.DESIGNATION_SERIES, chart_id="c", title="t")
        )
        self.assertIsNone(charts.timeline([], chart_id="c", title="t"))


class YearTest(TestCase):
    """`charts.Year` gives the years Django's ExtractYear gives, on either database (on
    SQLite by SQL's strftime, not Django's Python function)."""

    def test_the_same_years_as_extract_year(self):
        from django.db.models.functions import ExtractYear

        from tracker.models import Case

        for day in (datetime.date(2025, 12, 31), datetime.date(987, 1, 1), None):
            case = factories.CaseFactory()
            Case.objects.filter(pk=case.pk).update(first_event_date=day)
        years = Case.objects.order_by("pk").annotate(
            year=charts.Year("first_event_date"), django=ExtractYear("first_event_date")
        )
        assert [(row.year, row.django) for row in years] == [(2025, 2025), (987, 987), (None, None)]
