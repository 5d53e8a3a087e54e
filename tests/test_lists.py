"""The public lists as readers use them: sorting by date, people by name, laws by country,
organisations by the state that designated them, charges said once, cells labelled."""

import csv
import datetime
import io
import json
import re

from django.core.cache import cache
from django.test import TestCase as DjangoTestCase

from tests import factories
from tracker.filters import CaseListFilter, DesignationListFilter
from tracker.models import Case, CaseEvent, Charge, Designation, Law, PersonAlias
from tracker.pagination import CappedPaginator

D = datetime.date


class TestCase(DjangoTestCase):
    def setUp(self):
        # Each test renders its pages: the page cache would serve another test's (no context).
        cache.clear()


def content(response):
    return response.getvalue().decode("utf-8-sig")


def titles(response):
    return [case.title for case in response.context["object_list"]]


def csv_column(response, column):
    rows = csv.DictReader(io.StringIO(content(response)))
    return [row[column] for row in rows]


class CaseSortTests(TestCase):
    """Cases by the date of their latest event, newest first by default, undated last."""

    @classmethod
    def setUpTestData(cls):
        def case(title, *events):
            record = factories.CaseFactory(title=title)
            for date, precision in events:
                factories.CaseEventFactory(case=record, date=date, date_precision=precision)
            return record

        cls.undated = case("Undated")  # no event at all
        cls.undated_event = case("Undated event", (None, "day"))
        cls.old = case("Old", (D(2010, 1, 1), "approximate"))
        cls.month = case("Month", (D(2024, 3, 1), "month"), (D(2019, 6, 2), "day"))
        cls.day = case("Day", (D(2024, 3, 5), "day"))
        cls.year = case("Year", (D(2023, 1, 1), "year"))

    def test_latest_event_is_kept_on_the_case(self):
        self.assertEqual(
            (self.month.__class__.objects.get(pk=self.month.pk).latest_event_date), D(2024, 3, 1)
        )
        event = factories.CaseEventFactory(case=self.old, date=D(2025, 1, 2))
        self.old.refresh_from_db()
        self.assertEqual((self.old.latest_event_date, self.old.latest_event_date_precision),
                         (D(2025, 1, 2), "day"))  # fmt: skip
        event.delete()
        self.old.refresh_from_db()
        self.assertEqual((self.old.latest_event_date, self.old.latest_event_date_precision),
                         (D(2010, 1, 1), "approximate"))  # fmt: skip

    def test_first_event_is_kept_on_the_case(self):
        # The law page's chart dates a case by its first dated event.
        self.month.refresh_from_db()
        self.assertEqual((self.month.first_event_date, self.month.first_event_date_precision),
                         (D(2019, 6, 2), "day"))  # fmt: skip
        event = factories.CaseEventFactory(
            case=self.month, date=D(2015, 1, 1), date_precision="year"
        )
        self.month.refresh_from_db()
        self.assertEqual((self.month.first_event_date, self.month.first_event_date_precision),
                         (D(2015, 1, 1), "year"))  # fmt: skip
        self.assertEqual(self.month.latest_event_date, D(2024, 3, 1))
        event.delete()
        self.month.refresh_from_db()
        self.assertEqual(self.month.first_event_date, D(2019, 6, 2))
        undated = type(self.undated_event).objects.get(pk=self.undated_event.pk)
        self.assertEqual((undated.first_event_date, undated.first_event_date_precision), (None, ""))

    def test_an_event_moved_to_another_case_leaves_both_dated_right(self):
        event = CaseEvent.objects.get(case=self.day)
        event.case = self.undated
        event.save()
        self.day.refresh_from_db()
        self.undated.refresh_from_db()
        self.assertEqual((self.day.first_event_date, self.day.latest_event_date), (None, None))
        self.assertEqual(self.undated.latest_event_date, D(2024, 3, 5))
        self.assertEqual(self.undated.first_event_date, D(2024, 3, 5))

    def test_an_event_moved_twice_leaves_every_case_dated_right(self):
        # Made here, not loaded: then moved on from the case it was last saved with.
        event = factories.CaseEventFactory(case=self.undated, date=D(2030, 1, 1))
        event.case = self.undated_event
        event.save()
        event.case = self.old
        event.save()
        for case, latest in (
            (self.undated, None),
            (self.undated_event, None),
            (self.old, D(2030, 1, 1)),
        ):
            case.refresh_from_db()
            with self.subTest(case=case.title):
                self.assertEqual(case.latest_event_date, latest)

    def test_the_year_filter_finds_every_case_with_an_event_in_the_year(self):
        # Not only by its first or latest event: "Month" (2019 and 2024) is listed for 2019.
        for year, expected in (
            (2019, ["Month"]),
            (2024, ["Day", "Month"]),
            (2023, ["Year"]),
            (2010, ["Old"]),
            (2021, []),
        ):
            for sort in ("-date", "date"):
                with self.subTest(year=year, sort=sort):
                    response = self.client.get(f"/cases/?year={year}&sort={sort}")
                    self.assertEqual(sorted(titles(response)), expected)

    def test_newest_first_by_default_and_undated_last(self):
        expected = ["Day", "Month", "Year", "Old", "Undated event", "Undated"]
        self.assertEqual(titles(self.client.get("/cases/")), expected)
        self.assertEqual(titles(self.client.get("/cases/?sort=-date")), expected)

    def test_oldest_first_keeps_undated_last(self):
        self.assertEqual(
            titles(self.client.get("/cases/?sort=date")),
            ["Old", "Year", "Month", "Day", "Undated", "Undated event"],
        )

    def test_partial_dates_are_shown_as_precise_as_known(self):
        content = self.client.get("/cases/").content.decode()
        for shown in ("5 March 2024", "March 2024", "2023", "c. 2010"):
            self.assertIn(f">{shown}</time></td>", content)
        self.assertNotIn("1 March 2024", content)
        self.assertNotIn("1 January 2023", content)

    def test_unknown_sort_is_reported_and_ignored(self):
        response = self.client.get("/cases/?sort=secret_field")
        self.assertEqual(response.status_code, 200)
        self.assertIn("sort", response.context["filter_errors"])
        self.assertContains(response, "Some filters were ignored")
        self.assertEqual(titles(response)[0], "Day")  # the default order still holds
        self.assertEqual(self.client.get("/cases/?sort=secret_field&format=csv").status_code, 200)

    def test_exports_follow_the_page_order(self):
        for sort in ("", "date", "-date", "title"):
            with self.subTest(sort=sort):
                page = titles(self.client.get(f"/cases/?sort={sort}"))
                self.assertEqual(
                    csv_column(self.client.get(f"/cases/?sort={sort}&format=csv"), "title"), page
                )
                data = json.loads(content(self.client.get(f"/cases/?sort={sort}&format=json")))
                records = data["results"] if isinstance(data, dict) else data
                self.assertEqual([record["title"] for record in records], page)


class StableOrderTests(TestCase):
    """Rows with the same date are ordered by id, so pages neither repeat nor skip a row."""

    @classmethod
    def setUpTestData(cls):
        cls.same_day = {Case: set(), Designation: set()}
        for i in range(7):
            record = factories.CaseFactory(title=f"Same day {i}")
            factories.CaseEventFactory(case=record, date=D(2024, 1, 1))
            cls.same_day[Case].add(record.pk)
            designation = factories.DesignationFactory(decision_date=D(2024, 1, 1))
            cls.same_day[Designation].add(designation.pk)

    def test_pages_cover_every_row_once_both_ways(self):
        for filterset_class, model_rows in (
            (CaseListFilter, Case.objects.published().count()),
            (DesignationListFilter, 7),
        ):
            for sort in ("date", "-date"):
                with self.subTest(filterset_class.__name__, sort=sort):
                    qs = filterset_class(
                        {"sort": sort}, queryset=filterset_class._meta.model.objects.published()
                    ).qs
                    paginator = CappedPaginator(qs, 2)
                    seen = [
                        row.pk
                        for number in paginator.page_range
                        for row in paginator.page(number).object_list
                    ]
                    self.assertEqual(len(seen), model_rows)
                    self.assertEqual(len(set(seen)), model_rows)
                    # Ties are broken by id, in the direction of the sort.
                    ids = [pk for pk in seen if pk in self.same_day[qs.model]]
                    self.assertEqual(ids, sorted(ids, reverse=sort.startswith("-")))


class DesignationSortTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        def designation(name, **dates):
            organisation = factories.OrganisationFactory(name=name)
            return factories.DesignationFactory(organisation=organisation, **dates)

        designation("Decided 2020", decision_date=D(2020, 5, 1))
        designation("Registered 2022", decision_date=None, register_date=D(2022, 2, 1))
        designation(
            "Decided 2021, registered 2021",
            decision_date=D(2021, 1, 1),
            register_date=D(2021, 3, 1),
        )
        designation("Undated", decision_date=None)

    def names(self, url):
        return [row.organisation.name for row in self.client.get(url).context["object_list"]]

    def test_by_decision_or_register_date_newest_first_undated_last(self):
        expected = ["Registered 2022", "Decided 2021, registered 2021", "Decided 2020", "Undated"]
        self.assertEqual(self.names("/designations/"), expected)
        self.assertEqual(
            self.names("/designations/?sort=date"),
            ["Decided 2020", "Decided 2021, registered 2021", "Registered 2022", "Undated"],
        )

    def test_by_register_date_undated_last_both_ways(self):
        self.assertEqual(self.names("/designations/?sort=-register")[:2],
                         ["Registered 2022", "Decided 2021, registered 2021"])  # fmt: skip
        self.assertEqual(self.names("/designations/?sort=register")[:2],
                         ["Decided 2021, registered 2021", "Registered 2022"])  # fmt: skip

    def test_exports_and_feed_follow_the_page_order(self):
        for sort in ("date", "-date", "register"):
            with self.subTest(sort=sort):
                page = self.names(f"/designations/?sort={sort}")
                response = self.client.get(f"/designations/?sort={sort}&format=csv")
                self.assertEqual(csv_column(response, "organisation_name"), page)

    def test_unknown_sort_is_reported(self):
        response = self.client.get("/designations/?sort=-nope")
        self.assertEqual(response.status_code, 200)
        self.assertIn("sort", response.context["filter_errors"])


class PersonFilterTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.maria = factories.PersonFactory(name="Maria Bontsler", slug="maria-bontsler")
        cls.maria.aliases.create(name="Мария Бонцлер", kind="native")
        cls.other = factories.PersonFactory(name="Ivan Petrov", slug="ivan-petrov")
        cls.hidden = factories.PersonFactory(name="Secret Witness", slug="secret", state="draft")
        cls.maria_case = factories.CaseFactory(title="Maria's case", people=[cls.maria])
        cls.other_case = factories.CaseFactory(title="Ivan's case", people=[cls.other])
        cls.hidden_case = factories.CaseFactory(title="Witness case", people=[cls.hidden])

    def test_by_name_alias_and_old_slug(self):
        for value in ("Maria Bontsler", "bontsler", "BONTSLER maria", "Бонцлер", "maria-bontsler"):
            with self.subTest(value):
                response = self.client.get("/cases/", {"person": value})
                self.assertEqual(titles(response), ["Maria's case"])
                self.assertEqual(response.context["filter_errors"], {})

    def test_nobody_and_hidden_people_find_nothing(self):
        for value in ("Nobody Atall", "secret", "Secret Witness"):
            with self.subTest(value):
                response = self.client.get("/cases/", {"person": value})
                self.assertEqual(response.status_code, 200)
                self.assertEqual(titles(response), [])

    def test_box_offers_names_from_the_api_and_works_without_script(self):
        content = self.client.get("/cases/").content.decode()
        self.assertRegex(content, r'<input[^>]*name="person"[^>]*data-autocomplete="/api/people/"')
        self.assertIn("/static/js/autocomplete.js", content)
        self.assertNotRegex(content, r"<script>")  # no inline script (CSP)
        names = [p["name"] for p in self.client.get("/api/people/?q=bontsler").json()["results"]]
        self.assertEqual(names, ["Maria Bontsler"])

    def test_people_are_links_to_their_pages_only_when_public(self):
        content = self.client.get("/cases/").content.decode()
        self.assertIn('<a href="/people/maria-bontsler/">Maria Bontsler</a>', content)
        self.assertNotIn("Secret Witness", content)
        self.assertNotIn("/people/secret/", content)


class LawChoicesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.LawFactory(title="Criminal Code, Article 284.1", short_title="Undesirables",
                             number="284.1", kind="article", jurisdiction="RU")  # fmt: skip
        factories.LawFactory(title="Criminal Code, Article 20.3", number="20.3", kind="article",
                             jurisdiction="RU")  # fmt: skip
        factories.LawFactory(title="Law on foreign agents", jurisdiction="BY")
        factories.LawFactory(title="Treaty", jurisdiction="")
        factories.LawFactory(title="Draft law", jurisdiction="AM", state="draft")

    def test_grouped_by_country_name_and_numbered(self):
        content = self.client.get("/cases/").content.decode()
        select = re.search(r'<select name="law".*?</select>', content, re.S).group(0)
        groups = re.findall(r'<optgroup label="([^"]*)">', select)
        self.assertEqual(groups, ["Belarus", "Russia", "No jurisdiction"])
        options = re.findall(r"<option[^>]*>([^<]*)</option>", select)
        self.assertEqual(
            options[1:],
            [
                "Law on foreign agents",
                "Art. 20.3 — Criminal Code, Article 20.3",
                "Art. 284.1 — Undesirables",
                "Treaty",
            ],
        )
        self.assertNotIn("Draft law", content)

    def test_a_grouped_choice_still_filters(self):
        law = Law.objects.get(number="284.1")
        case = factories.CaseFactory(title="Under 284.1")
        factories.ChargeFactory(case=case, law=law)
        self.assertEqual(titles(self.client.get(f"/cases/?law={law.slug}")), ["Under 284.1"])


class DesignatedByTests(TestCase):
    """`designated_by`: the jurisdiction of the law of a public designation."""

    @classmethod
    def setUpTestData(cls):
        ru_law = factories.LawFactory(jurisdiction="RU")
        draft_ru_law = factories.LawFactory(jurisdiction="RU", state="draft")
        by_law = factories.LawFactory(jurisdiction="BY")
        cls.memorial = factories.OrganisationFactory(name="Memorial", country="")
        factories.DesignationFactory(organisation=cls.memorial, law=ru_law)
        cls.viasna = factories.OrganisationFactory(name="Viasna", country="RU")
        factories.DesignationFactory(organisation=cls.viasna, law=by_law)
        cls.drafted = factories.OrganisationFactory(name="Draft designation only")
        factories.DesignationFactory(organisation=cls.drafted, law=ru_law, state="draft")
        cls.draft_law = factories.OrganisationFactory(name="Draft law only")
        factories.DesignationFactory(organisation=cls.draft_law, law=draft_ru_law)

    def names(self, url):
        return [row.organisation.name if hasattr(row, "organisation") else row.name
                for row in self.client.get(url).context["object_list"]]  # fmt: skip

    def test_organisations_by_designating_state(self):
        self.assertEqual(self.names("/organisations/?designated_by=RU"), ["Memorial"])
        self.assertEqual(self.names("/organisations/?designated_by=BY"), ["Viasna"])

    def test_draft_designation_or_draft_law_does_not_count(self):
        names = self.names("/organisations/?designated_by=RU")
        self.assertNotIn("Draft designation only", names)
        self.assertNotIn("Draft law only", names)
        api = self.client.get("/api/organisations/?designated_by=RU").json()["results"]
        self.assertEqual([row["name"] for row in api], ["Memorial"])

    def test_country_is_the_headquarters(self):
        self.assertEqual(self.names("/organisations/?country=RU"), ["Viasna"])
        self.assertContains(self.client.get("/organisations/"), ">Headquarters</label>")

    def test_designations_by_designating_state_and_old_name(self):
        self.assertEqual(self.names("/designations/?designated_by=RU"), ["Memorial"])
        response = self.client.get("/designations/?jurisdiction=BY")
        self.assertEqual([row.organisation.name for row in response.context["object_list"]],
                         ["Viasna"])  # fmt: skip
        # One field on the page, showing the old parameter's value.
        self.assertContains(response, 'name="designated_by"')
        self.assertNotContains(response, 'name="jurisdiction"')
        self.assertRegex(response.content.decode(), r'<option value="BY" selected>')

    def test_unknown_country_is_reported(self):
        response = self.client.get("/organisations/?designated_by=XX")
        self.assertEqual(response.status_code, 200)
        self.assertIn("designated_by", response.context["filter_errors"])


class ChargeLabelTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(
            title="Anti-Soviet agitation and propaganda", short_title="Article 70", number="70"
        )
        cls.case = factories.CaseFactory(title="Dissident case")
        factories.ChargeFactory(
            case=cls.case, law=cls.law, description="“anti-Soviet  agitation and propaganda”"
        )

    def label(self, description, law=True):
        return Charge(law=self.law if law else None, description=description).label

    def test_repeating_the_law_is_said_once(self):
        for description in (
            "anti-Soviet agitation and propaganda",
            "“ANTI-SOVIET agitation and propaganda”",
            "  anti-soviet\nagitation  and propaganda ",
            "agitation",  # contained in the title
            "article 70",  # the short title
            "",
        ):
            with self.subTest(description):
                self.assertEqual(self.label(description), "Article 70")

    def test_what_the_description_adds_is_kept(self):
        self.assertEqual(
            self.label("agitation in a samizdat journal"),
            "Article 70 — agitation in a samizdat journal",
        )
        self.assertEqual(self.label("unnamed article", law=False), "unnamed article")

    def test_list_page_and_exports_say_it_once(self):
        listed = self.client.get("/cases/").content.decode()
        self.assertIn('<td data-label="Charges"><div>Article 70</div></td>', listed)
        pages = {
            "detail": self.client.get(self.case.get_absolute_url()).content.decode(),
        }
        for name, text in pages.items():
            with self.subTest(name):
                self.assertEqual(text.lower().count("agitation and propaganda"), 1, text)
        self.assertEqual(csv_column(self.client.get("/cases/?format=csv"), "charges"),
                         ["Article 70"])  # fmt: skip
        charge = json.loads(content(self.client.get("/cases/?format=json")))
        records = charge["results"] if isinstance(charge, dict) else charge
        self.assertEqual(records[0]["charges"][0]["label"], "Article 70")


class CellLabelTests(TestCase):
    """Every cell of a list table names its column (data-label), for the phone layout."""

    @classmethod
    def setUpTestData(cls):
        person = factories.PersonFactory()
        case = factories.CaseFactory(people=[person])
        factories.ChargeFactory(case=case)
        factories.CaseEventFactory(case=case)
        factories.CitationFactory.for_object(factories.DesignationFactory())

    def test_every_cell_is_labelled_with_its_header(self):
        for url in ("/organisations/", "/designations/", "/laws/", "/cases/", "/people/",
                    "/sources/"):  # fmt: skip
            with self.subTest(url):
                content = self.client.get(url).content.decode()
                table = re.search(r'<table class="list">.*?</table>', content, re.S).group(0)
                headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
                rows = re.findall(r"<tr>\s*(<td.*?)</tr>", table, re.S)
                self.assertTrue(rows)
                for row in rows:
                    cells = re.findall(r"<td( data-label=\"([^\"]*)\")?", row)
                    self.assertEqual([label for _, label in cells], headers)


class CachedSelectTests(TestCase):
    """The long selects (countries, laws) are drawn once and only the chosen option marked: the
    same HTML as Django's Select, and never an option list older than the laws."""

    @classmethod
    def setUpTestData(cls):
        factories.LawFactory(title="Law on <foreign> agents & others", slug="a-b", number="1")
        factories.LawFactory(title="Treaty", slug="treaty", jurisdiction="")
        factories.LawFactory(title="Draft law", slug="draft", state="draft")

    def test_same_html_as_the_plain_select(self):
        from django import forms

        from tracker.filters import (
            CachedOptionsSelect,
            LawFilter,
            OrganisationFilter,
            PersonFilter,
            SourceFilter,
        )

        values = [None, "", "RU", "UA", "a-b", "treaty", "draft", "nope", '"><b>', "a&b", ["UA"]]
        values += ["convicted", "ngo", "-date", "title", "-register", "established"]
        filtersets = (CaseListFilter, DesignationListFilter, OrganisationFilter, LawFilter)
        for filterset_class in (*filtersets, PersonFilter, SourceFilter):
            fields = filterset_class().form.fields
            for name, field in fields.items():
                if not isinstance(field.widget, forms.Select):
                    continue
                # Every select of a list is drawn once (short ones too: the sort, a kind).
                self.assertIsInstance(field.widget, CachedOptionsSelect, name)
                plain = forms.Select(choices=field.choices)
                for value in values:
                    with self.subTest(filterset_class.__name__, name=name, value=value):
                        attrs = {"id": f"id_{name}"}
                        for _ in range(2):  # drawn, then from the cache
                            self.assertEqual(
                                field.widget.render(name, value, attrs),
                                plain.render(name, value, attrs),
                            )

    def test_one_option_chosen(self):
        content = self.client.get("/designations/?designated_by=RU&country=RU&law=a-b").content
        self.assertEqual(content.decode().count(" selected>"), 4)  # with the sort's default
        self.assertIn(b'<option value="a-b" selected>', content)

    def test_options_follow_the_laws(self):
        self.assertNotIn(b"Newly published", self.client.get("/cases/").content)
        law = Law.objects.get(slug="draft")
        law.title, law.state = "Newly published", "published"
        law.save()
        self.assertIn(b"Newly published", self.client.get("/cases/").content)
        law.state = "draft"
        law.save()
        self.assertNotIn(b"Newly published", self.client.get("/cases/").content)

    def test_each_language_its_own_options(self):
        self.assertIn(b">Russia</option>", self.client.get("/cases/").content)
        russian = self.client.get("/ru/cases/").content.decode()
        self.assertIn(">Россия</option>", russian)
        self.assertIn(b">Russia</option>", self.client.get("/cases/").content)


class ListCountTests(TestCase):
    """A list's count is kept per data version: paging or sorting does not count again, and
    any change to the record counts afresh."""

    @classmethod
    def setUpTestData(cls):
        factories.CaseFactory.create_batch(3, status="convicted")

    def queries(self, url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            response = self.client.get(url)
        return response, len(context.captured_queries)

    def test_counted_once_per_version(self):
        self.client.get("/cases/?status=released")  # draws the selects of the filter form
        first, counted = self.queries("/cases/?status=convicted")
        self.assertContains(first, "3 results.")
        again, cached = self.queries("/cases/?status=convicted&sort=title&page=1")
        self.assertContains(again, "3 results.")
        self.assertEqual(cached, counted - 1)
        factories.CaseFactory(status="convicted")
        self.assertContains(self.client.get("/cases/?status=convicted&page=1"), "4 results.")
        self.assertContains(self.client.get("/cases/?status=released"), "0 results.")


class LawCaseCountTests(TestCase):
    """The published cases under each law of /laws/: counted for the page's laws at once and
    kept per law and data version, so a count follows every change to cases and charges."""

    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(title="Article A")
        cls.other = factories.LawFactory(title="Article B")
        cls.cases = factories.CaseFactory.create_batch(3)
        for case in cls.cases:
            factories.ChargeFactory(case=case, law=cls.law)
        factories.ChargeFactory(case=cls.cases[0], law=cls.law)  # charged twice: one case
        factories.ChargeFactory(case=factories.CaseFactory(state="draft"), law=cls.law)

    def counts(self):
        return {
            law.title: law.case_count for law in self.client.get("/laws/").context["object_list"]
        }

    def test_counts_published_cases_once_each(self):
        assert self.counts() == {"Article A": 3, "Article B": 0}

    def test_a_withdrawn_case_is_no_longer_counted(self):
        assert self.counts()["Article A"] == 3
        Case.objects.filter(pk=self.cases[1].pk).set_state("withdrawn")
        assert self.counts() == {"Article A": 2, "Article B": 0}
        factories.ChargeFactory(case=self.cases[2], law=self.other)
        assert self.counts() == {"Article A": 2, "Article B": 1}


class RowCountTests(TestCase):
    """The numbers beside the rows of /laws/ (designations) and /sources/ (citations): counted
    for the rows of the page shown, public ones only, and kept per row and data version, so
    that a count follows every change."""

    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(title="Article A")
        cls.designations = factories.DesignationFactory.create_batch(2, law=cls.law)
        draft = factories.OrganisationFactory(state="draft")
        factories.DesignationFactory(law=cls.law, organisation=draft)
        # Newer sources, published on their own, fill the first page of the sources.
        factories.SourceFactory.create_batch(
            50, state="published", published_date=datetime.date(2026, 1, 1)
        )
        cls.source = factories.SourceFactory(title="Report A")
        cls.cases = factories.CaseFactory.create_batch(2)
        for case in cls.cases:
            factories.CitationFactory.for_object(case, source=cls.source)
        draft_case = factories.CaseFactory(state="draft")
        factories.CitationFactory.for_object(draft_case, source=cls.source)

    def shown(self, path, name):
        rows = self.client.get(path).context["object_list"]
        return {row.title: getattr(row, name) for row in rows}

    def test_designations_under_each_law(self):
        assert self.shown("/laws/", "designation_count")["Article A"] == 2
        Designation.objects.filter(pk=self.designations[0].pk).set_state("withdrawn")
        assert self.shown("/laws/", "designation_count")["Article A"] == 1

    def test_public_citations_of_each_source_on_a_later_page(self):
        assert self.shown("/sources/?page=2", "citation_count") == {"Report A": 2}
        first = self.shown("/sources/", "citation_count")
        assert len(first) == 50 and set(first.values()) == {0}
        Case.objects.filter(pk=self.cases[0].pk).set_state("withdrawn")
        assert self.shown("/sources/?page=2", "citation_count") == {"Report A": 1}


class CaseRowTests(TestCase):
    """The case list's rows, drawn in Python (tracker/templatetags/rows.py): every cell the
    template drew, every value escaped."""

    @classmethod
    def setUpTestData(cls):
        person = factories.PersonFactory(name="<i>Anna</i> & Co", slug="anna")
        law = factories.LawFactory(title="Code <b>284</b>", slug="code-284")
        cls.full = factories.CaseFactory(
            title='<script>alert("x")</script>', slug="full", country="BY", status="pretrial",
            people=[person],
        )  # fmt: skip
        factories.ChargeFactory(case=cls.full, law=law, description="<u>organising</u>")
        factories.CaseEventFactory(case=cls.full, date=D(2024, 3, 1), date_precision="month")
        factories.CaseFactory(title="Bare", slug="bare", country="", status="unknown")

    def row(self, path, slug):
        content = self.client.get(path).content.decode()
        return re.search(rf'<tr>\s*<td[^>]*><a href="[^"]*/cases/{slug}/">.*?</tr>', content, re.S)

    def test_every_cell_is_drawn_and_escaped(self):
        row = self.row("/cases/", "full").group(0)
        cells = re.findall(r'<td data-label="([^"]*)">(.*?)</td>', row, re.S)
        script = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        charge = "Code &lt;b&gt;284&lt;/b&gt; — &lt;u&gt;organising&lt;/u&gt;"
        self.assertEqual(
            cells,
            [
                ("Case", f'<a href="/cases/full/">{script}</a>'),
                ("People", '<a href="/people/anna/">&lt;i&gt;Anna&lt;/i&gt; &amp; Co</a>'),
                ("Charges", f"<div>{charge}</div>"),
                ("Latest event", '<time datetime="2024-03">March 2024</time>'),
                ("Country", "Belarus"),
                ("Status", '<span class="badge">In pre-trial detention</span>'),
            ],
        )

    def test_empty_cells_show_a_dash(self):
        row = self.row("/cases/", "bare").group(0)
        cells = re.findall(r'<td data-label="([^"]*)">(.*?)</td>', row, re.S)
        self.assertEqual([text for _label, text in cells[1:5]], ["—", "—", "—", "—"])

    def test_labels_and_values_in_the_page_language(self):
        row = self.row("/ru/cases/", "full").group(0)
        self.assertIn('data-label="Дело"', row)
        self.assertIn(">Беларусь</td>", row)
        self.assertIn('href="/ru/cases/full/"', row)


class OrganisationAndDesignationRowTests(TestCase):
    """The rows of the organisation and designation lists, drawn in Python as the case list's."""

    @classmethod
    def setUpTestData(cls):
        org = factories.OrganisationFactory(
            name="<b>Memo</b>", slug="memo", short_name="M&M", country="RU"
        )
        factories.OrganisationAliasFactory(organisation=org, name="<i>Мемо</i>", language="ru")
        law = factories.LawFactory(title="Law <x>", short_title="", slug="law-x")
        factories.DesignationFactory(
            organisation=org, law=law, authority="A & B", revoked_date=D(2026, 1, 2)
        )
        factories.DesignationFactory(
            organisation=org, law=None, authority="", kind="foreign_agent", decision_date=None,
            register_date=D(2021, 6, 1), register_date_precision="month",
        )  # fmt: skip
        factories.OrganisationFactory(name="Plain", slug="plain", country="")

    def cells(self, path, start):
        content = self.client.get(path).content.decode()
        rows = re.findall(r"<tr>\s*<td.*?</tr>", content, re.S)
        row = next(row for row in rows if start in row)
        return [" ".join(cell.split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]

    def test_an_organisation_row(self):
        name, kind, headquarters, designations = self.cells("/organisations/", "/memo/")
        self.assertIn('<a href="/organisations/memo/">&lt;b&gt;Memo&lt;/b&gt;</a>', name)
        self.assertIn('<span class="muted">(M&amp;M)</span>', name)
        self.assertIn('<div class="aliases">also: <span lang="ru">&lt;i&gt;Мемо&lt;/i&gt;', name)
        self.assertEqual((kind, headquarters), ("NGO", "Russia"))
        self.assertEqual(designations.count('<span class="badge">'), 2)
        self.assertEqual(designations.count("mark-unverified"), 2)  # no source confirms them
        self.assertIn('registered <time datetime="2021-06">June 2021</time>', designations)
        self.assertEqual(self.cells("/organisations/", "/plain/")[2:], ["—", "—"])

    def test_designation_rows(self):
        with_law = self.cells("/designations/", ">A &amp; B<")
        link = r'^<a href="/organisations/memo/#designation-\d+">&lt;b&gt;Memo&lt;/b&gt;</a>$'
        self.assertRegex(with_law[0], link)
        self.assertEqual(with_law[2], '<a href="/laws/law-x/">Law &lt;x&gt;</a>')
        self.assertEqual(with_law[6], '<time datetime="2026-01-02">2 January 2026</time>')
        without = self.cells("/designations/", "Foreign agent")
        self.assertEqual([without[2], without[3], without[4], without[6]], ["—", "—", "—", "—"])
        self.assertEqual(without[5], '<time datetime="2021-06">June 2021</time>')


class PersonSourceAndLawRowTests(TestCase):
    """The rows of the person, source and law lists, drawn in Python as the case list's."""

    @classmethod
    def setUpTestData(cls):
        person = factories.PersonFactory(name="<b>Ana</b>", slug="ana", role="lawyer")
        PersonAlias.objects.create(person=person, name="<i>Анна</i>", language="ru")
        factories.PersonFactory(name="Nobody", slug="nobody", country="")
        source = factories.SourceFactory(
            title="Report <1>", publisher="A & B", state="published", kind="official",
            reliability="unverified", published_date=D(2024, 3, 1),
            published_date_precision="month",
        )  # fmt: skip
        factories.CitationFactory.for_object(person, source=source)
        factories.SourceFactory(
            title="Undated", publisher="", state="published", published_date=None
        )
        law = factories.LawFactory(
            title="Code <A>", short_title="C & A", slug="code-a", number="5<1>",
            jurisdiction="RU", adopted_date=D(1996, 1, 1), adopted_date_precision="year",
        )  # fmt: skip
        factories.ChargeFactory(case=factories.CaseFactory(), law=law)
        factories.LawFactory(title="Bare", slug="bare", number="", jurisdiction="")

    cells = OrganisationAndDesignationRowTests.cells

    def test_a_person_row(self):
        name, role, country = self.cells("/people/", "/people/ana/")
        self.assertIn('<a href="/people/ana/">&lt;b&gt;Ana&lt;/b&gt;</a>', name)
        self.assertIn('<div class="aliases">also: <span lang="ru">&lt;i&gt;Анна&lt;/i&gt;', name)
        self.assertEqual((role, country), ("Lawyer", "Russia"))
        self.assertEqual(self.cells("/people/", "/people/nobody/")[2], "—")

    def test_a_source_row(self):
        title, publisher, published, kind, grade, cited = self.cells(
            "/sources/", "Report &lt;1&gt;"
        )
        self.assertRegex(title, r'^<a href="/sources/\d+/">Report &lt;1&gt;</a>$')
        self.assertEqual(publisher, "A &amp; B")
        self.assertEqual(published, '<time datetime="2024-03">March 2024</time>')
        self.assertEqual(kind, "Official register or decision")
        self.assertIn('class="badge badge-unverified"', grade)
        self.assertEqual(cited, "1")
        undated = self.cells("/sources/", "Undated")
        self.assertEqual([undated[1], undated[2], undated[5]], ["—", "—", "0"])

    def test_a_law_row(self):
        title, number, jurisdiction, adopted, designations, cases = self.cells("/laws/", "/code-a/")
        self.assertEqual(
            title,
            '<a href="/laws/code-a/">Code &lt;A&gt;</a><div class="aliases">C &amp; A</div>',
        )
        self.assertEqual((number, jurisdiction), ("5&lt;1&gt;", "Russia"))
        self.assertEqual(adopted, '<time datetime="1996">1996</time>')
        self.assertEqual((designations, cases), ("0", "1"))
        self.assertEqual(self.cells("/laws/", "/bare/")[1:4], ["—", "—", "—"])

    def test_russian_labels(self):
        content = self.client.get("/ru/people/").content.decode()
        self.assertIn('data-label="Роль"', content)
