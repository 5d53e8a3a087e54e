"""POST /api/match/: reconciling names from elsewhere with public records, scored, by the
search's own normalisation; bad input is a 400 naming the field."""

import json

import pytest
from django.test import Client

from tests import factories
from tracker.choices import State

pytestmark = pytest.mark.django_db


def match(payload, client=None):
    client = client or Client()
    return client.post("/api/match/", json.dumps(payload), content_type="application/json")


@pytest.fixture
def record():
    memorial = factories.OrganisationFactory(name="Memorial", slug="memorial")
    factories.OrganisationAliasFactory(organisation=memorial, name="Мемориал", kind="original")
    amnesty = factories.OrganisationFactory(name="Amnesty International", slug="amnesty")
    factories.OrganisationAliasFactory(organisation=amnesty, name="AI", kind="acronym")
    person = factories.PersonFactory(name="Maria Bontsler", slug="maria-bontsler")
    hidden = factories.OrganisationFactory(name="Memorial Draft Fund", state=State.DRAFT)
    return memorial, amnesty, person, hidden


def best(response, index=0):
    matches = response.json()["results"][index]["matches"]
    return matches[0] if matches else None


@pytest.mark.parametrize(
    "name, expected, matched",
    [
        ("Memorial", "Memorial", "Memorial"),
        ("Мемориал", "Memorial", "Мемориал"),  # another script
        ("MEMORIAL ", "Memorial", "Memorial"),
        ("Amnesty Intl", "Amnesty International", "Amnesty International"),
        ("Amnesty Internationl", "Amnesty International", "Amnesty International"),  # typo
        ("Мария Бонцлер", "Maria Bontsler", "Maria Bontsler"),  # transliterated
    ],
)
def test_a_name_matches_the_record_it_means(record, name, expected, matched):
    response = match({"names": [name]})
    assert response.status_code == 200
    hit = best(response)
    assert hit["name"] == expected
    assert hit["matched"] == matched
    assert 0 < hit["score"] <= 1
    assert hit["url"].startswith("http://testserver/")


def test_the_same_name_scores_one_and_ranks_first(record):
    response = match({"names": ["memorial"], "types": ["organisation"]})
    hit = best(response)
    assert (hit["name"], hit["score"], hit["type"]) == ("Memorial", 1.0, "organisation")


def test_results_keep_the_order_of_the_names_and_the_limit(record):
    response = match({"names": ["Maria Bontsler", "Nothing like it at all"], "limit": 1})
    results = response.json()["results"]
    assert [result["query"] for result in results] == ["Maria Bontsler", "Nothing like it at all"]
    assert [hit["name"] for hit in results[0]["matches"]] == ["Maria Bontsler"]
    assert results[1]["matches"] == []


def test_types_narrow_the_match(record):
    response = match({"names": ["Maria Bontsler"], "types": ["organisation"]})
    assert all(hit["type"] == "organisation" for hit in response.json()["results"][0]["matches"])


def test_an_unpublished_record_never_matches(record):
    hidden = record[3]
    response = match({"names": ["Memorial Draft Fund"], "limit": 10})
    matches = response.json()["results"][0]["matches"]
    assert hidden.pk not in [hit["id"] for hit in matches]
    assert "Memorial Draft Fund" not in [hit["name"] for hit in matches]
    hidden.state = State.PUBLISHED
    hidden.save()
    assert best(match({"names": ["Memorial Draft Fund"]}))["id"] == hidden.pk


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "names"),
        ({"names": []}, "names"),
        ({"names": "Memorial"}, "names"),
        ({"names": ["x" * 201]}, "names"),
        ({"names": ["Memorial"] * 101}, "names"),
        ({"names": ["Memorial"], "types": ["source"]}, "types"),
        ({"names": ["Memorial"], "limit": 0}, "limit"),
        ({"names": ["Memorial"], "limit": "many"}, "limit"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(record, payload, field):
    response = match(payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_body_that_is_not_json_is_refused_clearly():
    client = Client()
    response = client.post("/api/match/", "{names:", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    response = client.post("/api/match/", {"names": "Memorial"})
    assert response.status_code == 415


def test_only_post(record):
    response = Client().get("/api/match/")
    assert response.status_code == 405
    assert "detail" in response.json()


def test_an_error_in_one_name_says_which():
    response = match({"names": ["Memorial", ""]})
    assert response.status_code == 400
    assert response.json()["errors"] == {"names": ["item 2: This field may not be blank."]}
