"""The health check behind /healthz, for a load balancer or a monitor.

200 only when the site can serve pages: the database answers, every migration this code has
is applied (a replaced or empty database file fails here), a tracker table can be read, and
a shared cache (when one is configured) keeps what it is given. Otherwise 503, naming what
failed. Never cached, never a 500.
"""

import functools
import logging
import uuid
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from tracker.models import Organisation

logger = logging.getLogger(__name__)

# Per-process caches with nothing to go wrong; any other backend is checked with a round trip.
LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@functools.cache
def expected_migrations():
    """The latest migration of each app, as the code has them (read from disk once)."""
    return tuple(sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()))


def check_database(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations(connection):
    expected = expected_migrations()
    where = " OR ".join(["(app = %s AND name = %s)"] * len(expected))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, name FROM django_migrations WHERE {where}",  # noqa: S608 (no input)
            [part for node in expected for part in node],
        )
        applied = set(cursor.fetchall())
    missing = [f"{app}.{name}" for app, name in expected if (app, name) not in applied]
    if missing:
        return f"not applied: {', '.join(missing)}"
    return None


def check_records(connection):
    # The table every list starts from; one row, any row, read through the ORM.
    list(Organisation.objects.using(connection.alias).order_by().values_list("pk")[:1])


def check_cache():
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in LOCAL_CACHES:
        return None
    cache = caches["default"]
    key, token = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, timeout=30)
    kept = cache.get(key) == token
    cache.delete(key)
    return None if kept else "does not keep what it is given"


def run_checks():
    """{check: None when fine, or a short reason}; each check is isolated from the others."""
    connection = connections[DEFAULT_DB_ALIAS]
    checks = {
        "database": check_database,
        "migrations": check_migrations,
        "records": check_records,
    }
    results = {}
    for name, check in checks.items():
        try:
            # Inside a transaction (tests), a savepoint, so that a failed query does not abort
            # the next check on PostgreSQL; outside one, autocommit already isolates them, and
            # atomic() would take SQLite's write lock (BEGIN IMMEDIATE) for a read.
            isolated = transaction.atomic() if connection.in_atomic_block else nullcontext()
            with isolated:
                results[name] = check(connection)
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "failed (see the server log)"
        if results[name] is not None and name == "database":
            # Nothing else can answer when the database does not.
            results.update(migrations="not checked", records="not checked")
            break
    try:
        results["cache"] = check_cache()
    except Exception:
        logger.exception("Health check cache failed")
        results["cache"] = "failed (see the server log)"
    return results


def healthz(request):
    """200 {"status": "ok"} when every check passes, else 503 naming the failed ones."""
    try:
        results = run_checks()
    except Exception:  # a check that fails in a way nobody foresaw is still a failure, not a 500
        logger.exception("Health check failed")
        results = {"checks": "failed"}
    failed = {name: reason for name, reason in results.items() if reason is not None}
    if failed:
        response = JsonResponse({"status": "error", "failed": failed}, status=503)
    else:
        response = JsonResponse(
            {"status": "ok", "checks": sorted(results), "time": timezone.now().isoformat()}
        )
    # A proxy must never keep a 200 from a healthy moment and serve it when the site is down.
    add_never_cache_headers(response)
    return response
