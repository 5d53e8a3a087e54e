"""Structured exports of every list: JSON, JSON Lines and CSV derived from the public shapes."""

import csv
import datetime
import io
import json
import re

import pytest
from django.utils import timezone

from tests import factories
from tracker import exports, shape_rows, shapes
from tracker.choices import State

pytestmark = pytest.mark.django_db

LISTS = {
    "/organisations/": ("organisations", shapes.OrganisationShape),
    "/designations/": ("designations", shapes.DesignationShape),
    "/laws/": ("laws", shapes.LawShape),
    "/cases/": ("cases", shapes.CaseShape),
    "/people/": ("people", shapes.PersonShape),
    "/sources/": ("sources", shapes.SourceShape),
}
TYPES = {
    "/organisations/": "organisation",
    "/designations/": "designation",
    "/laws/": "law",
    "/cases/": "case",
    "/people/": "person",
    "/sources/": "source",
}


def streamed(response):
    return response.getvalue().decode()


def csv_rows(response):
    text = streamed(response)
    assert text.startswith(exports.BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(exports.BOM))))


@pytest.fixture
def record():
    """One public record of every kind, linked together, with a Cyrillic name and drafts."""
    law = factories.LawFactory(
        title="Law on undesirable organisations",
        slug="undesirable-organisations-law",
        adopted_date=datetime.date(2015, 5, 1),
        adopted_date_precision="month",
    )
    organisation = factories.OrganisationFactory(name="Центр «Пример»", slug="centre", country="RU")
    source = factories.SourceFactory(title="Register entry", url="https://example.org/register")
    uncited_url = factories.SourceFactory(title="Leaflet", url="")
    designation = factories.DesignationFactory(
        organisation=organisation,
        law=law,
        decision_date=datetime.date(2013, 11, 1),
        decision_date_precision="month",
    )
    factories.CitationFactory.for_object(designation, source=source)
    factories.CitationFactory.for_object(designation, source=uncited_url)
    first = factories.PersonFactory(name="Anna One", slug="anna")
    second = factories.PersonFactory(name="Boris Two", slug="boris")
    case = factories.CaseFactory(title="Case of two", slug="two", people=[first, second])
    factories.CitationFactory.for_object(case, source=source)
    # Drafts beside them, linked to the public records.
    draft_org = factories.OrganisationFactory(name="Draft Org", slug="draft-org", state=State.DRAFT)
    factories.DesignationFactory(organisation=draft_org, law=law)
    factories.DesignationFactory(
        organisation=organisation, law=law, state=State.DRAFT, kind="extremist"
    )
    case.people.add(factories.PersonFactory(name="Draft Person", state=State.DRAFT))
    factories.CaseFactory(title="Draft Case", state=State.DRAFT)
    factories.LawFactory(title="Draft Law", state=State.DRAFT)
    factories.SourceFactory(title="Draft Source", state=State.DRAFT)
    return {
        "law": law,
        "organisation": organisation,
        "designation": designation,
        "case": case,
        "source": source,
        "people": [first, second],
    }


@pytest.mark.parametrize("path", LISTS)
class TestEveryList:
    def test_csv_has_bom_shape_columns_ids_and_urls_and_no_drafts(self, client, record, path):
        name, shape = LISTS[path]
        response = client.get(path, {"format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        text = streamed(response)
        header = next(csv.reader(io.StringIO(text.removeprefix(exports.BOM))))
        assert header == [column for column, _ in exports.csv_columns(shape)]
        assert header[0] == "id"
        rows = csv_rows(client.get(path, {"format": "csv"}))
        assert rows and all(row["id"].isdigit() for row in rows)
        # A source's `url` is its original document's (or empty); `page` its page here.
        link = "page" if path == "/sources/" else "url"
        assert all(row[link].startswith("http://testserver/") for row in rows)
        assert "Draft" not in text
        today = timezone.now().date().isoformat()
        assert response["Content-Disposition"] == f'attachment; filename="{name}_{today}.csv"'

    def test_json_is_an_array_of_shapes(self, client, record, path):
        name, shape = LISTS[path]
        response = client.get(path, {"format": "json"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        data = json.loads(streamed(response))
        assert data and {row["type"] for row in data} == {TYPES[path]}
        record_ids = set(shape.Meta.model.objects.published().values_list("id", flat=True))
        assert {row["id"] for row in data} == record_ids
        assert "Draft" not in json.dumps(data)

    def test_json_lines_parse_line_by_line(self, client, record, path):
        name, _ = LISTS[path]
        response = client.get(path, {"format": "jsonl"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/jsonl; charset=utf-8"
        assert response["Content-Disposition"].endswith('.jsonl"')
        text = streamed(response)
        assert text.endswith("\n")
        lines = [json.loads(line) for line in text.splitlines()]
        as_array = json.loads(streamed(client.get(path, {"format": "json"})))
        assert lines == as_array


class TestCsvFlattening:
    def test_partial_date_is_iso_with_its_precision(self, client, record):
        (row,) = csv_rows(client.get("/designations/?format=csv"))
        assert (row["decision_date"], row["decision_date_precision"]) == ("2013-11", "month")
        assert (row["register_date"], row["register_date_precision"]) == ("", "")
        (law,) = csv_rows(client.get("/laws/?format=csv"))
        assert (law["adopted_date"], law["adopted_date_precision"]) == ("2015-05", "month")

    def test_choices_give_code_and_label_countries_code_and_name(self, client, record):
        (row,) = csv_rows(client.get("/designations/?format=csv"))
        assert (row["kind"], row["kind_label"]) == ("undesirable", "Undesirable organisation")
        (organisation,) = csv_rows(client.get("/organisations/?format=csv"))
        assert (organisation["country"], organisation["country_name"]) == ("RU", "Russia")

    def test_related_record_gives_id_and_name(self, client, record):
        (row,) = csv_rows(client.get("/designations/?format=csv"))
        assert row["organisation_id"] == str(record["organisation"].pk)
        assert row["organisation_name"] == "Центр «Пример»"  # Cyrillic intact
        assert (row["law_id"], row["law_name"]) == (str(record["law"].pk), record["law"].title)

    def test_several_related_records_are_joined_in_id_and_name_columns(self, client, record):
        (row,) = csv_rows(client.get("/cases/?format=csv"))
        first, second = record["people"]
        assert row["people_ids"] == f"{first.pk} | {second.pk}"
        assert row["people_names"] == "Anna One | Boris Two"

    def test_citations_give_source_ids_and_original_urls(self, client, record):
        (row,) = csv_rows(client.get("/designations/?format=csv"))
        ids = row["source_ids"].split(" | ")
        assert ids[0] == str(record["source"].pk) and len(ids) == 2
        # A source without an address keeps its place, empty.
        assert row["source_urls"] == "https://example.org/register | "

    def test_formula_like_cells_are_escaped(self, client):
        factories.PersonFactory(name="@SUM(A1)", slug="at")
        factories.PersonFactory(name="-2+3", slug="minus")
        rows = csv_rows(client.get("/people/?format=csv"))
        assert sorted(row["name"] for row in rows) == ["'-2+3", "'@SUM(A1)"]

    def test_no_row_cap_across_chunks(self, client, monkeypatch):
        monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
        monkeypatch.setattr(shape_rows, "CHUNK_SIZE", 3)  # CSV's chunks
        factories.PersonFactory.create_batch(10)
        assert len(csv_rows(client.get("/people/?format=csv"))) == 10
        response = client.get("/people/?format=jsonl")
        assert len(streamed(response).splitlines()) == 10


class TestFileNames:
    def test_name_says_what_was_filtered_and_when(self, client, record):
        response = client.get(
            "/designations/",
            {"law": "undesirable-organisations-law", "country": "RU", "format": "csv"},
        )
        today = timezone.now().date().isoformat()
        filename = f"designations_law-undesirable-organisations-law_country-RU_{today}.csv"
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert len(csv_rows(response)) == 1

    def test_refused_values_are_not_named_and_text_is_transliterated(self, client, record):
        response = client.get(
            "/designations/",
            {"q": "Центр «Пример»", "year": "abc", "as_of": "2020-01-01", "format": "jsonl"},
        )
        disposition = response["Content-Disposition"]
        assert re.fullmatch(
            r'attachment; filename="designations_q-tsentr-primer_as-of-2020-01-01_'
            r'\d{4}-\d\d-\d\d\.jsonl"',
            disposition,
        ), disposition
        assert "year" not in disposition

    def test_hostile_values_stay_in_a_safe_ascii_name(self, client, record):
        response = client.get("/cases/", {"q": '"; rm -rf /\r\nX-Evil: 1', "format": "csv"})
        assert response.status_code == 200
        filename = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", filename), filename
        assert "X-Evil" not in response.headers

    def test_a_long_name_is_cut_before_the_date(self, client, record):
        params = {"q": "word " * 60, "authority": "x" * 300, "as_of": "2020-01-01"}
        response = client.get("/designations/", {**params, "format": "csv"})
        filename = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert len(filename) <= exports.FILENAME_MAX + len(".csv")
        assert filename.endswith(f"_{timezone.now().date().isoformat()}.csv")


class TestBadInput:
    def test_unknown_format_shows_the_page_and_says_so(self, client, record):
        response = client.get("/designations/", {"format": "xlsx"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert (
            "Unknown format; this list exports as csv, json, jsonl, atom."
            in response.content.decode()
        )

    def test_atom_on_a_list_without_a_feed_is_reported(self, client, record):
        response = client.get("/people/", {"format": "atom"})
        assert response.status_code == 200
        assert "Unknown format; this list exports as csv, json, jsonl." in response.content.decode()

    def test_invalid_filters_are_ignored_in_exports(self, client, record):
        rows = csv_rows(client.get("/designations/", {"as_of": "2999-01-01", "format": "csv"}))
        assert len(rows) == 1
