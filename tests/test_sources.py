"""Source addresses are normalised, so that the same document is never entered twice."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.admin_forms import admin_form_data
from tracker.models import Source
from tracker.models.sources import normalise_url, url_key


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("  HTTPS://WWW.Example.ORG/Path/Doc  ", "https://www.example.org/Path/Doc"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://user:secret@example.org/a", "https://example.org/a"),
        (
            "https://example.org/news?id=7&utm_source=tw&UTM_Medium=x&fbclid=abc&page=2",
            "https://example.org/news?id=7&page=2",
        ),
        ("https://example.org/search?q=a%20b+c", "https://example.org/search?q=a%20b+c"),
        ("https://[2001:DB8::1]/a", "https://[2001:db8::1]/a"),
        ("https://президент.рф/acts", "https://президент.рф/acts"),
        ("", ""),
    ],
)
def test_normalise_url(entered, stored):
    assert normalise_url(entered) == stored


def test_the_same_document_under_other_spellings_has_one_key():
    spellings = [
        "https://www.example.org/report/",
        "http://example.org/report",
        "https://EXAMPLE.org/report?utm_campaign=x#top",
    ]
    assert {url_key(spelling) for spelling in spellings} == {"example.org/report"}
    assert url_key("https://example.org/report?id=2") != url_key("https://example.org/report")
    assert url_key("https://example.org/Report") != url_key("https://example.org/report")


@pytest.mark.django_db
def test_saving_normalises_and_the_database_refuses_a_second_copy():
    source = factories.SourceFactory(url="https://www.example.org/doc/?utm_source=x")
    assert source.url == "https://www.example.org/doc/"
    duplicate = Source(title="Again", url="http://example.org/doc")
    with pytest.raises(ValidationError, match=f"already recorded as source #{source.pk}"):
        duplicate.full_clean()
    with pytest.raises(ValidationError, match="already recorded"):
        duplicate.validate_constraints()
    # Sources without an address are many.
    Source.objects.create(title="Leaflet")
    Source.objects.create(title="Forwarded text")
    assert Source.objects.filter(url="").count() == 2


@pytest.mark.django_db
def test_admin_refuses_a_source_entered_twice(editor_client):
    existing = factories.SourceFactory(title="Register extract", url="https://minjust.gov.ru/x/")
    response = editor_client.get("/admin/tracker/source/add/")
    data = admin_form_data(response)
    data.update(title="The same extract", url="http://www.minjust.gov.ru/x#p3")
    response = editor_client.post("/admin/tracker/source/add/", data)
    assert response.status_code == 200
    message = f"already recorded as source #{existing.pk}: Register extract"
    assert message in response.content.decode()
    assert Source.objects.count() == 1

    data.update(url="minjust.gov.ru/y?utm_source=tg")  # no scheme: HTTPS is assumed
    assert editor_client.post("/admin/tracker/source/add/", data).status_code == 302
    assert Source.objects.get(title="The same extract").url == "https://minjust.gov.ru/y"
