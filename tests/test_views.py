"""Public pages: the URL contract, what each page shows, filters, search, exports, feed."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tracker.pagination import CappedPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def amnesty():
    """A published designation with its organisation, law, alias and citations."""
    law = factories.LawFactory(
        title="Law on undesirable organisations",
        short_title="undesirable organisations law",
        slug="undesirable-organisations-law",
    )
    organisation = factories.OrganisationFactory(
        name="Amnesty International", slug="amnesty-international", country="GB"
    )
    factories.OrganisationAliasFactory(organisation=organisation, name="AIL", kind="acronym")
    source = factories.SourceFactory(
        title="Amnesty declared undesirable", reliability="established"
    )
    factories.CitationFactory.for_object(organisation, source=source, quote="London-based")
    designation = factories.DesignationFactory(
        organisation=organisation,
        law=law,
        decision_date=datetime.date(2025, 5, 19),
        stated_reasons="a centre for the preparation of global Russophobic projects",
    )
    factories.CitationFactory.for_object(
        designation, source=source, quote="declared Amnesty International an undesirable"
    )
    conflicting = factories.SourceFactory(title="Unsigned report", reliability="unverified")
    factories.CitationFactory.for_object(
        designation,
        source=conflicting,
        conflicting=True,
        note="Says the Justice Ministry announced the designation.",
    )
    return designation


@pytest.fixture
def bontsler_case():
    article = factories.LawFactory(
        title="Confidential cooperation with a foreign State",
        slug="criminal-code-275-1",
        number="275.1",
        kind="article",
    )
    person = factories.PersonFactory(name="Maria Bontsler", slug="maria-bontsler", role="lawyer")
    case = factories.CaseFactory(
        title="Prosecution of Maria Bontsler",
        slug="maria-bontsler",
        status="pretrial",
        people=[person],
    )
    factories.ChargeFactory(case=case, law=article)
    event = factories.CaseEventFactory(
        case=case, kind="arrest", date=datetime.date(2025, 5, 28), description="Arrested."
    )
    factories.CitationFactory.for_object(event, quote="arrested on 28 May 2025")
    factories.CitationFactory.for_object(case)
    return case


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/organisations/",
        "/designations/",
        "/laws/",
        "/cases/",
        "/people/",
        "/sources/",
        "/search/?q=amnesty",
        "/feeds/designations/",
        "/healthz",
    ],
)
def test_every_contract_url_answers(client, amnesty, bontsler_case, url):
    assert client.get(url).status_code == 200


def test_detail_pages_answer_at_their_contract_paths(client, amnesty, bontsler_case):
    person = bontsler_case.people.get()
    source = amnesty.citations.first().source
    for url in [
        "/organisations/amnesty-international/",
        "/laws/undesirable-organisations-law/",
        "/cases/maria-bontsler/",
        "/people/maria-bontsler/",
        f"/sources/{source.pk}/",
    ]:
        assert client.get(url).status_code == 200, url
    assert amnesty.organisation.get_absolute_url() == "/organisations/amnesty-international/"
    assert person.get_absolute_url() == "/people/maria-bontsler/"


def test_home_shows_numbers_latest_designations_and_timeline(client, amnesty, bontsler_case):
    response = client.get("/")
    content = response.content.decode()
    assert "Amnesty International" in content
    assert "Prosecution of Maria Bontsler" in content
    assert "<strong>1</strong> organisation" in content
    assert "<title>2025: Undesirable organisation — 1</title>" in content


def test_organisation_page_shows_designation_with_every_citation(client, amnesty):
    response = client.get(amnesty.organisation.get_absolute_url())
    content = response.content.decode()
    assert "Undesirable organisation" in content
    assert "19 May 2025" in content
    assert "Prosecutor General&#x27;s Office" in content
    assert "global Russophobic projects" in content
    assert "declared Amnesty International an undesirable" in content
    assert "London-based" in content
    assert "Conflicting account" in content
    # A citation's note is the editors' working note: never public.
    assert "Says the Justice Ministry announced the designation." not in content
    assert "Unverified" in content
    assert "AIL" in content


def test_case_page_shows_people_charges_and_dated_timeline(client, bontsler_case):
    content = client.get(bontsler_case.get_absolute_url()).content.decode()
    assert "Maria Bontsler" in content
    assert "Confidential cooperation with a foreign State" in content
    assert "28 May 2025" in content
    assert "arrested on 28 May 2025" in content
    assert "In pre-trial detention" in content


def test_partial_dates_are_shown_as_partial(client):
    designation = factories.DesignationFactory(
        kind="foreign_agent",
        decision_date=datetime.date(2013, 11, 1),
        decision_date_precision="month",
    )
    content = client.get(designation.organisation.get_absolute_url()).content.decode()
    assert "November 2013" in content
    assert "1 November 2013" not in content


def test_law_page_lists_penalties_designations_and_cases(client, amnesty, bontsler_case):
    law = amnesty.law
    law.penalties.create(kind="criminal", applies_to="leaders", max_prison_months=72)
    content = client.get(law.get_absolute_url()).content.decode()
    assert "6 years" in content
    assert "Amnesty International" in content
    article_page = client.get("/laws/criminal-code-275-1/").content.decode()
    assert "Prosecution of Maria Bontsler" in article_page


def test_person_page_lists_their_cases(client, bontsler_case):
    content = client.get("/people/maria-bontsler/").content.decode()
    assert "Prosecution of Maria Bontsler" in content


def test_source_page_lists_what_cites_it(client, amnesty):
    source = amnesty.citations.first().source
    content = client.get(source.get_absolute_url()).content.decode()
    assert "Amnesty International — Undesirable organisation" in content
    assert "declared Amnesty International an undesirable" in content


def test_source_page_hides_draft_records_that_cite_it(client):
    source = factories.SourceFactory()
    draft = factories.OrganisationFactory(name="Secret draft org", state="draft")
    factories.CitationFactory.for_object(draft, source=source)
    content = client.get(source.get_absolute_url()).content.decode()
    assert "Secret draft org" not in content


class TestDrafts:
    def test_draft_organisation_is_not_public(self, client):
        draft = factories.OrganisationFactory(name="Draft Org", slug="draft-org", state="draft")
        factories.DesignationFactory(organisation=draft)
        assert client.get("/organisations/draft-org/").status_code == 404
        assert "Draft Org" not in client.get("/organisations/").content.decode()
        assert "Draft Org" not in client.get("/search/?q=Draft").content.decode()
        assert "Draft Org" not in client.get("/feeds/designations/").content.decode()
        export = client.get("/organisations/?format=csv")
        assert "Draft Org" not in export.getvalue().decode()
        assert "Draft Org" not in client.get("/").content.decode()

    def test_draft_designation_is_not_public(self, client, amnesty):
        factories.DesignationFactory(
            organisation=amnesty.organisation, kind="foreign_agent", state="draft"
        )
        page = client.get(amnesty.organisation.get_absolute_url()).content.decode()
        assert "Foreign agent" not in page
        assert "Foreign agent" not in client.get("/feeds/designations/").content.decode()

    @pytest.mark.parametrize(
        ("factory", "url"),
        [
            (factories.LawFactory, "/laws/hidden/"),
            (factories.CaseFactory, "/cases/hidden/"),
            (factories.PersonFactory, "/people/hidden/"),
        ],
    )
    def test_draft_detail_pages_are_404(self, client, factory, url):
        factory(slug="hidden", state="draft")
        assert client.get(url).status_code == 404

    def test_draft_person_is_not_named_on_a_published_case(self, client):
        hidden = factories.PersonFactory(name="Hidden Person", state="draft")
        case = factories.CaseFactory(people=[hidden])
        assert "Hidden Person" not in client.get(case.get_absolute_url()).content.decode()
        assert "Hidden Person" not in client.get("/cases/").content.decode()


class TestFilters:
    def names(self, response):
        return [obj.name for obj in response.context["object_list"]]

    def test_organisations_filter_by_kind_country_designation_law_and_year(self, client, amnesty):
        other = factories.DesignationFactory(
            organisation=factories.OrganisationFactory(name="Moscow Times", kind="media"),
            kind="undesirable",
            decision_date=datetime.date(2024, 1, 1),
            decision_date_precision="approximate",
        )
        factories.DesignationFactory(
            organisation=factories.OrganisationFactory(name="Gender Centre"),
            kind="foreign_agent",
            decision_date=datetime.date(2013, 11, 1),
            decision_date_precision="month",
        )
        assert self.names(client.get("/organisations/?kind=media")) == ["Moscow Times"]
        assert self.names(client.get("/organisations/?country=GB")) == ["Amnesty International"]
        assert self.names(client.get("/organisations/?designation=foreign_agent")) == [
            "Gender Centre"
        ]
        assert self.names(client.get("/organisations/?year=2024")) == ["Moscow Times"]
        law_url = f"/organisations/?law={amnesty.law.slug}"
        assert self.names(client.get(law_url)) == ["Amnesty International"]
        assert self.names(client.get(f"/organisations/?law={other.law.slug}&year=2025")) == []

    def test_designation_filters_must_hold_for_the_same_designation(self, client, amnesty):
        factories.DesignationFactory(
            organisation=amnesty.organisation,
            kind="foreign_agent",
            decision_date=datetime.date(2020, 1, 1),
            decision_date_precision="year",
        )
        # Amnesty is "undesirable" (2025) and a "foreign agent" (2020), never both in 2020.
        assert self.names(client.get("/organisations/?designation=undesirable&year=2020")) == []
        response = client.get("/organisations/?designation=foreign_agent&year=2020")
        assert self.names(response) == ["Amnesty International"]

    def test_text_filter_finds_organisation_by_alias(self, client, amnesty):
        assert self.names(client.get("/organisations/?q=ail")) == ["Amnesty International"]

    def test_cases_filter_by_law_status_person_year_and_text(self, client, bontsler_case):
        factories.CaseFactory(title="Another case", status="released")
        titles = lambda r: [c.title for c in r.context["object_list"]]  # noqa: E731
        assert titles(client.get("/cases/?law=criminal-code-275-1")) == [bontsler_case.title]
        assert titles(client.get("/cases/?status=released")) == ["Another case"]
        assert titles(client.get("/cases/?person=maria-bontsler")) == [bontsler_case.title]
        assert titles(client.get("/cases/?year=2025")) == [bontsler_case.title]
        assert titles(client.get("/cases/?q=275.1")) == [bontsler_case.title]
        assert titles(client.get("/cases/?q=bontsler")) == [bontsler_case.title]

    def test_laws_filter_by_text_and_number(self, client, amnesty, bontsler_case):
        response = client.get("/laws/?q=275.1")
        assert [law.slug for law in response.context["object_list"]] == ["criminal-code-275-1"]
        law = response.context["object_list"][0]
        assert law.case_count == 1
        assert law.designation_count == 0

    def test_list_paginates(self, client, settings):
        factories.OrganisationFactory.create_batch(60)
        first = client.get("/organisations/")
        assert len(first.context["object_list"]) == 50
        second = client.get("/organisations/?page=2")
        assert len(second.context["object_list"]) == 10
        assert "Page 2 of 2" in second.content.decode()


def streamed(response):
    return response.getvalue().decode()


class TestExports:
    def test_csv_export_has_exactly_the_filtered_rows(self, client, amnesty):
        factories.OrganisationFactory(name="Moscow Times", kind="media")
        response = client.get("/organisations/?kind=ngo&format=csv")
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(streamed(response).removeprefix("\ufeff"))))
        assert [row["name"] for row in rows] == ["Amnesty International"]
        assert rows[0]["aliases"] == "AIL"
        assert (rows[0]["country"], rows[0]["country_name"]) == ("GB", "United Kingdom")
        assert rows[0]["designations"] == "Undesirable organisation (19 May 2025)"
        assert rows[0]["designations_ids"] == str(amnesty.pk)
        assert rows[0]["url"] == "http://testserver/organisations/amnesty-international/"

    def test_json_export_covers_every_page_not_only_the_first(self, client):
        factories.PersonFactory.create_batch(55, role="lawyer")
        factories.PersonFactory(role="artist")
        response = client.get("/people/?role=lawyer&format=json")
        data = json.loads(streamed(response))
        assert len(data) == 55
        assert {(row["role"], row["role_label"]) for row in data} == {("lawyer", "Lawyer")}

    def test_csv_export_neutralises_spreadsheet_formulas(self, client):
        factories.OrganisationFactory(name='=HYPERLINK("http://evil")')
        response = client.get("/organisations/?format=csv")
        rows = list(csv.DictReader(io.StringIO(streamed(response).removeprefix("\ufeff"))))
        assert rows[0]["name"] == '\'=HYPERLINK("http://evil")'

    def test_export_of_empty_result_still_has_header(self, client):
        response = client.get("/cases/?q=nothing-matches&format=csv")
        header = streamed(response).removeprefix("\ufeff").strip().split(",")
        assert header[:3] == ["id", "type", "url"]
        assert {"title", "status", "status_label", "people_ids", "source_urls"} <= set(header)
        assert json.loads(streamed(client.get("/laws/?format=json"))) == []


class TestDesignationList:
    def test_lists_organisation_type_law_authority_dates_and_revocation(self, client, amnesty):
        factories.DesignationFactory(
            organisation=factories.OrganisationFactory(name="Gender Centre"),
            kind="foreign_agent",
            law=None,
            authority="",
            decision_date=datetime.date(2013, 11, 1),
            decision_date_precision="month",
            register_date=datetime.date(2013, 12, 2),
            revoked_date=datetime.date(2016, 1, 1),
            revoked_date_precision="year",
        )
        factories.DesignationFactory(
            organisation=factories.OrganisationFactory(name="Draft Org", state="draft")
        )
        response = client.get(reverse("tracker:designation-list"))
        assert response.status_code == 200
        content = response.content.decode()
        rows = content.split("<tbody>")[1].split("</tr>")
        assert "Amnesty International" in rows[0] and "19 May 2025" in rows[0]
        assert "undesirable organisations law" in rows[0]
        assert "Prosecutor General&#x27;s Office" in rows[0]
        gender = rows[1]
        assert "Foreign agent" in gender and "November 2013" in gender
        assert "2 December 2013" in gender and "2016" in gender
        assert "Draft Org" not in content
        assert 'href="?format=atom"' in content and 'href="?format=jsonl"' in content

    def test_filters_and_keeps_them_in_export_links(self, client, amnesty):
        factories.DesignationFactory(kind="foreign_agent")
        response = client.get("/designations/", {"type": "undesirable", "as_of": "2025-06-01"})
        assert list(response.context["object_list"]) == [amnesty]
        assert 'href="?type=undesirable&amp;as_of=2025-06-01&amp;format=csv"' in (
            response.content.decode()
        )

    @pytest.mark.parametrize(
        ("value", "message"),
        [("2999-01-01", "The date is in the future"), ("19.05.2025", "Enter a date as YYYY-MM-DD")],
    )
    def test_bad_as_of_is_reported_and_ignored(self, client, amnesty, value, message):
        response = client.get("/designations/", {"as_of": value})
        assert response.status_code == 200
        content = response.content.decode()
        assert "Some filters were ignored" in content and message in content
        assert list(response.context["object_list"]) == [amnesty]

    def test_reached_from_the_menu_and_the_home_page(self, client, amnesty):
        content = client.get("/").content.decode()
        assert content.count('href="/designations/"') == 2


def test_feed_lists_published_designations_newest_first(client, amnesty):
    older = factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Gender Centre"),
        kind="foreign_agent",
        decision_date=datetime.date(2013, 11, 1),
        decision_date_precision="month",
    )
    response = client.get("/feeds/designations/")
    assert response["Content-Type"].startswith("application/atom+xml")
    content = response.content.decode()
    assert content.index("Amnesty International") < content.index("Gender Centre")
    assert f"#designation-{older.pk}" in content


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.json()["status"] == "ok"


def test_healthz_reports_database_failure(client, monkeypatch):
    from django.db import DatabaseError, connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_filter_selects_offer_any_rather_than_dashes(client, amnesty):
    content = client.get("/cases/").content.decode()
    assert '<option value="" selected>Any</option>' in content
    assert "---------" not in content


class TestCappedCounts:
    def test_a_list_counts_no_further_than_the_cap_and_says_so(self, client, monkeypatch):
        monkeypatch.setattr(CappedPaginator, "cap", 3)
        factories.OrganisationFactory.create_batch(5)
        response = client.get("/organisations/")
        paginator = response.context["paginator"]
        assert (paginator.count, paginator.capped) == (3, True)
        assert "More than 3 results" in response.content.decode()
        assert len(response.context["object_list"]) == 3

    def test_below_the_cap_the_count_is_exact(self, client, monkeypatch):
        monkeypatch.setattr(CappedPaginator, "cap", 5)
        factories.OrganisationFactory.create_batch(5)
        response = client.get("/organisations/")
        assert (response.context["paginator"].count, response.context["paginator"].capped) == (
            5,
            False,
        )
        assert "5 results." in response.content.decode()

    def test_the_count_query_is_bounded(self, client, monkeypatch):
        monkeypatch.setattr(CappedPaginator, "cap", 3)
        factories.OrganisationFactory.create_batch(5)
        with CaptureQueriesContext(connection) as captured:
            client.get("/organisations/")
        counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
        assert counts and all("LIMIT 4" in sql for sql in counts)


def test_law_page_lists_the_first_records_and_links_to_the_rest(client, settings):
    settings.DETAIL_LIST_SIZE = 2
    law = factories.LawFactory(slug="law-x")
    for case in factories.CaseFactory.create_batch(3):
        factories.ChargeFactory(case=case, law=law)
    factories.DesignationFactory(law=law)
    response = client.get("/laws/law-x/")
    assert len(response.context["cases"]) == 2
    assert response.context["more_cases"] and not response.context["more_designations"]
    content = response.content.decode()
    assert "/cases/?law=law-x" in content
    assert "/organisations/?law=law-x" not in content
