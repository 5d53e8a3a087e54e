"""HTTP caching: anonymous readers revalidate cheaply; editors always see fresh pages."""

import os

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponseNotFound
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from whitenoise.middleware import WhiteNoiseMiddleware

from tests import factories
from tracker.choices import State
from tracker.models import DataVersion, Organisation

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/organisations/",
    "/organisations/memorial/",
    "/laws/",
    "/cases/",
    "/people/",
    "/sources/",
    "/search/?q=memorial",
    "/feeds/designations/",
]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def memorial():
    return factories.OrganisationFactory(name="Memorial", slug="memorial")


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
        response.body = response.getvalue().decode()
    return response, len(captured)


@pytest.mark.parametrize("url", PAGES)
def test_repeat_visit_gets_304_after_one_query(client, memorial, url):
    first, _ = get(client, url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in first["Vary"]
    again, queries = get(client, url, if_none_match=first["ETag"])
    assert again.status_code == 304
    assert again.body == ""
    assert queries == 1  # the data version
    since, _ = get(client, url, if_modified_since=first["Last-Modified"])
    assert since.status_code == 304


def test_a_change_to_the_record_changes_the_page_and_its_etag(client, memorial):
    first, _ = get(client, "/organisations/")
    factories.OrganisationFactory(name="Sova Center", slug="sova")
    again, _ = get(client, "/organisations/", if_none_match=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert "Sova Center" in again.body


def test_unpublishing_in_bulk_reaches_the_cached_page(client, memorial):
    assert "Memorial" in get(client, "/organisations/")[0].body
    Organisation.objects.filter(pk=memorial.pk).set_state(State.DRAFT)
    assert "Memorial" not in get(client, "/organisations/")[0].body


def test_second_reader_is_served_the_rendered_page_from_the_cache(client, memorial):
    first, rendering = get(client, "/organisations/memorial/")
    second, queries = get(client, "/organisations/memorial/")
    assert rendering > 1
    assert queries == 1
    assert second.body == first.body
    assert second["ETag"] == first["ETag"]


@pytest.mark.parametrize("export_format", ["csv", "json", "jsonl"])
def test_a_whole_export_is_kept_as_a_page_is_with_its_name(client, memorial, export_format):
    """An export read whole in the view is an answer like a page's: kept, with its own
    headers, and a Content-Length."""
    url = f"/organisations/?format={export_format}"
    first, queries = get(client, url)
    assert not first.streaming
    assert "Memorial" in first.body
    assert int(first["Content-Length"]) == len(first.content)
    again, queries_again = get(client, url)
    assert queries_again == 1  # the versions
    assert again.body == first.body
    for header in ("Content-Type", "Content-Disposition", "ETag"):
        assert again[header] == first[header], header
    assert get(client, url, if_none_match=first["ETag"])[0].status_code == 304


def test_a_kept_export_is_not_served_under_another_days_name(client, memorial, monkeypatch):
    import datetime

    from django.utils import timezone

    url = "/organisations/?format=csv"
    today = timezone.now()
    first, _ = get(client, url)
    assert get(client, url)[1] == 1  # kept
    monkeypatch.setattr(timezone, "now", lambda: today + datetime.timedelta(days=1))
    tomorrow, queries = get(client, url)
    assert queries > 1
    tomorrows_date = (today + datetime.timedelta(days=1)).date().isoformat()
    assert tomorrows_date in tomorrow["Content-Disposition"]
    assert tomorrows_date not in first["Content-Disposition"]


@pytest.mark.parametrize("export_format", ["csv", "json", "jsonl"])
def test_a_streamed_export_revalidates_but_is_not_kept(
    client, memorial, export_format, monkeypatch
):
    from tracker import exports, shape_rows

    factories.OrganisationFactory(name="Second")
    monkeypatch.setattr(exports, "CHUNK_SIZE", 1)  # more records than a chunk: streamed
    monkeypatch.setattr(shape_rows, "CHUNK_SIZE", 1)
    url = f"/organisations/?format={export_format}"
    first, queries = get(client, url)
    assert first.streaming
    assert "Memorial" in first.body and "Second" in first.body
    assert get(client, url)[1] == queries
    assert get(client, url, if_none_match=first["ETag"])[0].status_code == 304


def test_editors_always_get_fresh_uncached_pages(client, editor_client, memorial):
    reader, _ = get(client, "/organisations/memorial/")
    Organisation.objects.filter(pk=memorial.pk).update(description="Changed behind the cache.")
    editor_page, _ = get(editor_client, "/organisations/memorial/", if_none_match=reader["ETag"])
    assert editor_page.status_code == 200
    assert "Changed behind the cache." in editor_page.body
    assert "no-store" in editor_page["Cache-Control"]
    assert "private" in editor_page["Cache-Control"]
    assert not editor_page.has_header("ETag")


def test_the_health_check_is_never_cached(client):
    response = client.get("/healthz")
    assert not response.has_header("ETag")
    assert "public" not in response.get("Cache-Control", "")


def test_bad_input_is_answered_without_caching_an_error(client):
    response = client.get("/organisations/no-such-organisation/")
    assert response.status_code == 404
    assert not response.has_header("ETag")


def test_versions_are_bumped_by_saves_deletes_and_relations():
    def version(model):
        return DataVersion.snapshot().get(model._meta.db_table, 0)

    numbers = [version(Organisation)]
    organisation = factories.OrganisationFactory()
    numbers.append(version(Organisation))
    case = factories.CaseFactory()
    case.organisations.add(organisation)
    numbers.append(version(Organisation))  # the case's tables changed, not this one
    organisation.delete()
    numbers.append(version(Organisation))
    assert numbers[0] < numbers[1] == numbers[2] < numbers[3]


def test_static_files_are_compressed_fingerprinted_and_cached_for_a_decade(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    name = staticfiles_storage.stored_name("css/site.css")
    assert name != "css/site.css"  # a content hash is in the name
    middleware = WhiteNoiseMiddleware(lambda request: HttpResponseNotFound())
    request = RequestFactory().get(settings.STATIC_URL + name, HTTP_ACCEPT_ENCODING="gzip")
    response = middleware(request)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]


@pytest.mark.django_db(False)
def test_code_fingerprint_is_the_same_on_every_server(tmp_path, settings):
    """Two checkouts of one release, at different places and written at different times,
    share cached pages and ETags; the collected static files may live outside either."""
    from tracker.caching import code_fingerprint

    static = tmp_path / "static-elsewhere"
    static.mkdir()
    (static / "staticfiles.json").write_text('{"paths": {}}')
    settings.STATIC_ROOT = static
    fingerprints = []
    for number, name in enumerate(["server-a", "server-b"]):
        root = tmp_path / name
        (root / "templates").mkdir(parents=True)
        page = root / "templates" / "base.html"
        page.write_text("<html></html>")
        os.utime(page, ns=(number * 10**12, number * 10**12))
        settings.BASE_DIR = root
        code_fingerprint.cache_clear()
        fingerprints.append(code_fingerprint())
    page.write_text("<html>changed</html>")
    code_fingerprint.cache_clear()
    changed = code_fingerprint()
    code_fingerprint.cache_clear()
    assert fingerprints[0] == fingerprints[1]
    assert changed != fingerprints[1]
