"""/healthz: 200 only when pages can be served, else 503 naming what failed; never cached."""

import pytest
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from tracker.health import expected_migrations

pytestmark = pytest.mark.django_db


class BrokenCache(BaseCache):
    """A shared cache whose server is down."""

    def __init__(self, location, params):
        super().__init__(params)

    def set(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    get = delete = set


def assert_never_cached(response):
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert not response.has_header("ETag")
    assert not response.has_header("Last-Modified")


def test_healthy_site_answers_ok_uncached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"] == ["cache", "database", "migrations", "records"]
    assert_never_cached(response)


def test_a_missing_migration_fails_the_check(client):
    app, name = next(node for node in expected_migrations() if node[0] == "tracker")
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "failed": {"migrations": f"not applied: {app}.{name}"},
    }
    assert_never_cached(response)


def test_an_unreadable_tracker_table_fails_the_check(client):
    # Inside the test's transaction, rolled back at its end.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tracker_organisation RENAME TO tracker_organisation_gone")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == {"records": "failed (see the server log)"}
    assert_never_cached(response)


def test_an_empty_database_fails_the_check(client):
    # What a replaced, empty database file looks like: no migrations table, no tracker tables.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_migrations RENAME TO django_migrations_gone")
        cursor.execute("ALTER TABLE tracker_organisation RENAME TO tracker_organisation_gone")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert set(response.json()["failed"]) == {"migrations", "records"}


def test_one_failed_check_does_not_fail_the_next(client):
    # On PostgreSQL a failed query aborts the transaction it ran in; each check has its own.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_migrations RENAME TO django_migrations_gone")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == {"migrations": "failed (see the server log)"}


def test_an_unforeseen_failure_is_a_503_not_a_500(client, monkeypatch):
    def broken():
        raise RuntimeError("unforeseen")

    monkeypatch.setattr("tracker.health.run_checks", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "failed": {"checks": "failed"}}
    assert_never_cached(response)


@override_settings(CACHES={"default": {"BACKEND": "tests.test_health.BrokenCache"}})
def test_a_failing_shared_cache_fails_the_check(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == {"cache": "failed (see the server log)"}


def test_a_working_shared_cache_passes_the_check(client, tmp_path):
    shared = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}
    with override_settings(CACHES={"default": {**shared, "LOCATION": str(tmp_path)}}):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
