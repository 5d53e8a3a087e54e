"""Source addresses are normalised, so that the same document is never entered twice."""

import json

import pytest
from django.contrib.admin import site
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.utils.html import escape

from tests import factories
from tests.admin_forms import admin_form_data
from tracker.admin import SourceAdmin
from tracker.models import Organisation, Source
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


UNSAFE_ADDRESSES = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://example.org/file",
]


@pytest.mark.django_db
@pytest.mark.parametrize("address", UNSAFE_ADDRESSES)
def test_only_web_addresses_are_stored_whatever_the_path(address):
    with pytest.raises(ValidationError) as error:
        Source(title="Bad", url=address).full_clean()
    assert "starting with http:// or https://" in str(error.value.message_dict["url"])
    with pytest.raises(ValidationError) as error:
        factories.OrganisationFactory.build(website=address).full_clean()
    assert "website" in error.value.message_dict

    for store in (
        lambda: Source(title="Bad", url=address).save(),
        lambda: Source.objects.create(title="Bad", url=address),
        lambda: Source.objects.bulk_create([Source(title="Bad", url=address)]),
        lambda: factories.OrganisationFactory(website=address),
        lambda: Organisation.objects.bulk_create(
            [factories.OrganisationFactory.build(website=address)]
        ),
    ):
        with pytest.raises(IntegrityError, match="_web_address"), transaction.atomic():
            store()
    assert not Source.objects.exists()
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_web_addresses_in_any_case_and_none_are_stored():
    source = Source.objects.create(title="Report", url="HTTPS://Example.org/Report")
    assert source.url == "https://example.org/Report"
    organisation = factories.OrganisationFactory(website="HTTP://example.org/")
    Source.objects.create(title="Leaflet", url="")
    assert Organisation.objects.get(pk=organisation.pk).website == "HTTP://example.org/"
    assert Source.objects.count() == 2


@pytest.mark.django_db
def test_an_existing_web_address_cannot_be_changed_into_a_script():
    source = factories.SourceFactory(url="https://example.org/a")
    with pytest.raises(IntegrityError, match="source_url_web_address"), transaction.atomic():
        Source.objects.filter(pk=source.pk).update(url="javascript:alert(1)")
    source.refresh_from_db()
    assert source.url == "https://example.org/a"


@pytest.mark.parametrize(
    "address", ["javascript:alert(1)", " https://example.org/", "data:text/html,<b>x</b>"]
)
def test_a_stored_address_that_is_not_a_web_address_is_shown_as_text(address):
    rendered = Template("{{ url|external_link }}").render(Context({"url": address}))
    assert "<a" not in rendered
    assert "href" not in rendered
    assert rendered == escape(address)


def test_a_web_address_is_shown_as_a_link():
    rendered = Template("{{ url|external_link }}").render(
        Context({"url": 'https://example.org/?q="x"&y=<b>'})
    )
    assert rendered == (
        '<a href="https://example.org/?q=&quot;x&quot;&amp;y=&lt;b&gt;" '
        'rel="noopener noreferrer nofollow">https://example.org/?q=&quot;x&quot;&amp;y=&lt;b&gt;</a>'
    )


def test_the_admin_source_list_links_only_web_addresses():
    admin = SourceAdmin(Source, site)
    assert admin.link(Source(url="javascript:alert(1)")) == "javascript:alert(1)"
    assert admin.link(Source(url="")) == "—"
    assert 'href="https://example.org/"' in admin.link(Source(url="https://example.org/"))


@pytest.mark.django_db
def test_source_and_organisation_pages_link_their_web_addresses(client):
    source = factories.SourceFactory(url="https://example.org/report")
    organisation = factories.OrganisationFactory(website="https://example.org/")
    factories.CitationFactory.for_object(organisation, source=source)
    page = client.get(source.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/report" rel="noopener noreferrer nofollow">' in page
    page = client.get(organisation.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/" rel="noopener noreferrer nofollow">' in page


@pytest.mark.django_db
def test_a_fixture_cannot_load_a_script_address(tmp_path):
    fixture = tmp_path / "bad.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "tracker.source",
                    "pk": 1,
                    "fields": {
                        "title": "Bad",
                        "url": "javascript:alert(1)",
                        "created_at": "2026-11-21T00:00:00Z",
                        "updated_at": "2026-11-21T00:00:00Z",
                    },
                }
            ]
        )
    )
    with pytest.raises(IntegrityError, match="source_url_web_address"), transaction.atomic():
        call_command("loaddata", str(fixture), verbosity=0)
    assert not Source.objects.exists()
