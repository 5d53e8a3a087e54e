"""Bad input never gives a server error: 404s, ignored filters, cut queries."""

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

ODD_QUERIES = [
    '"',
    "'",
    '"unbalanced',
    "amnesty OR 1=1",
    "NEAR(a b)",
    "*",
    "-",
    "((((",
    "a AND NOT b",
    "%",
    "_",
    "\\",
    "null\x00byte",
    "bell\x07and\x1bescape",
    "emoji 🕊️✊🏽",
    "Амнистия Интернэшнл",
    "Мемориал",
    "'; DROP TABLE tracker_source; --",
    "<script>alert(1)</script>",
    "x" * 5000,
    " ",
    "\u202etxt.exe",
]


@pytest.fixture
def record():
    designation = factories.DesignationFactory()
    factories.CaseEventFactory()
    return designation


@pytest.mark.parametrize("query", ODD_QUERIES)
@pytest.mark.parametrize("path", ["/search/", "/organisations/", "/laws/", "/cases/", "/people/"])
def test_odd_queries_never_fail(client, record, path, query):
    response = client.get(path, {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_long_query_is_cut_with_a_message(client, record):
    response = client.get("/search/", {"q": "amnesty " * 1000})
    assert response.status_code == 200
    assert len(response.context["query"]) <= 200
    assert "only the first 200 were used" in response.content.decode()


def test_control_characters_are_removed_from_the_query(client, record):
    response = client.get("/search/", {"q": "amn\x00esty\x1b"})
    assert response.context["query"] == "amn esty"


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/no-such-org/",
        "/laws/no-such-law/",
        "/cases/no-such-case/",
        "/people/no-such-person/",
        "/sources/999999/",
        "/sources/99999999999999999999999999/",
        "/sources/abc/",
        "/sources/-1/",
        "/organisations/" + "a" * 3000 + "/",
        "/organisations/%F0%9F%95%8A/",
    ],
)
def test_unknown_records_are_404_pages(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"Not found" in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc"},
        {"year": "99999999999999999999"},
        {"year": "-5"},
        {"year": "2025.5"},
        {"kind": "not-a-kind"},
        {"country": "XX"},
        {"designation": "'; --"},
        {"law": "no-such-law"},
        {"law": "x" * 5000},
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "999999999999999999999999"},
        {"page": "2", "kind": "ngo"},
        {"format": "xml"},
    ],
)
def test_invalid_organisation_filters_are_ignored_and_reported(client, record, params):
    response = client.get("/organisations/", params)
    assert response.status_code == 200
    # The one valid organisation is still listed: a bad value is ignored, not applied.
    if set(params) - {"page", "format"} == set():
        assert response.context["paginator"].count == 1


def test_invalid_filter_is_reported_on_the_page(client, record):
    response = client.get("/organisations/", {"year": "abc", "kind": "ngo"})
    content = response.content.decode()
    assert "Some filters were ignored" in content
    assert "year" in response.context["filter_errors"]
    assert response.context["paginator"].count == 1


def test_page_out_of_range_shows_the_last_page(client):
    factories.OrganisationFactory.create_batch(3)
    response = client.get("/organisations/", {"page": "500"})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1


@pytest.mark.parametrize(
    "params",
    [
        {"person": "nobody"},
        {"status": "<b>"},
        {"year": "1e9"},
        {"law": "'"},
        {"country": "🕊"},
    ],
)
def test_invalid_case_filters_never_fail(client, record, params):
    assert client.get("/cases/", params).status_code == 200
    assert client.get("/cases/", {**params, "format": "csv"}).status_code == 200


def test_head_and_unsupported_methods(client):
    assert client.head("/organisations/").status_code == 200
    assert client.post("/organisations/").status_code == 405


@pytest.mark.parametrize("path", ["/", "/ru/", "/cases/", "/no-such-page/"])
def test_a_host_not_allowed_is_a_bad_request(path):
    # The 400 page names no address of its own (that would ask for the host again).
    client = Client(HTTP_HOST="evil.example", raise_request_exception=False)
    response = client.get(path)
    assert response.status_code == 400
    assert b"evil.example" not in response.content
