"""HTTP caching of public pages for anonymous readers; editors always see fresh pages.

Every public page depends on nothing but the rows it reads, the code and the address.
So each database table has a version (`DataVersion`, one row per table), and a page is
valid as long as the tables it read keep the versions they had when it was rendered:

- Writes bump versions themselves. An execute wrapper on every database connection
  (`install`) sees each INSERT, UPDATE and DELETE (one statement or `executemany`) and bumps
  the written table's row right after it, in its transaction if it has one (see
  docs/caching.md), so no save, `update()`, `bulk_create`,
  `delete`, many-to-many change or raw SQL can change the record without its table's version
  changing with it. `DataVersion.bump()` bumps the `*` row that every page depends on
  (restores, search index rebuilds, bulk loads).
- A public request reads every version in one query (the snapshot) before anything else,
  and keeps it for the whole request (`cached_fragment()`, `cached_values()`).
- While a page renders, the wrapper records the tables named in its queries (every word of
  the SQL that is a model's table: a superset is harmless). The page is kept in Django's
  cache under its full URL (which holds the language: `/ru/…` is Russian, every other path
  English, whatever the browser asks for: tracker/urls.py) with {table: version} of the
  tables it read, plus `*`; a fragment (`cached_fragment`) is kept the same way, and one
  taken from the cache counts the tables it depends on as read by the page.
  Streamed responses (exports) depend on every table.
- A later request is served the kept page only if every recorded version equals the
  snapshot's. Versions are read before the page's data, so a change committed while a page
  renders leaves it recorded under the older version: stale at once, never fresh.
- The ETag is a hash of the recorded versions and of the code (`code_fingerprint`), and
  Last-Modified the time of the latest of them: a repeat visit gets a `304 Not Modified`
  after one query and no rendering. `Cache-Control: public, max-age=PUBLIC_CACHE_SECONDS`
  lets browsers and proxies reuse a page briefly without asking.

An edit to a case therefore renders again the pages that read cases, and leaves a law's
page cached if it never read them. Each table's keys (`key_columns`: every column but free
text and timestamps) have a version of their own, which an edit of a text leaves: the parts
of pages that only count rows (`cached_fragment(…, by_keys=True)`) are kept by it. With
`REDIS_URL` the cache is shared by every worker and server; the versions live in the
database they all share, so every server judges a kept page the same way. When the cache
cannot be reached, pages are rendered without it.

A request that carries a session cookie (an editor, or anyone who has logged in)
bypasses all of this and gets `Cache-Control: private, no-cache, no-store`.
"""

import contextlib
import contextvars
import functools
import hashlib
import logging
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connections, models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

from tracker.models import DataVersion, LoginFailure
from tracker.models.changes import EVERYTHING

logger = logging.getLogger(__name__)

# Rendered pages larger than this are not kept (exports stream and are never kept).
MAX_CACHED_BYTES = 1024 * 1024
# Written without bumping a version: the versions themselves, and bookkeeping no page reads
# (failed logins, sessions, django-axes's login attempts).
UNTRACKED_MODELS = (DataVersion, LoginFailure)
UNTRACKED_APPS = ("sessions", "axes")

# The table an INSERT, UPDATE or DELETE writes (quoted or not).
WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+\"?(\w+)\"?",
    re.IGNORECASE,
)
# Other statements that may write to tables they name.
OTHER_WRITE = re.compile(r"\s*(?:WITH|TRUNCATE|MERGE)\b", re.IGNORECASE)
WORD = re.compile(r"\w+")

# Django's save of one row (and `filter(pk=…).update()`): the row is named by its primary key,
# the last parameter.
UPDATE_BY_KEY = re.compile(r'UPDATE "(\w+)" SET .+ WHERE "\1"\."(\w+)" = %s', re.DOTALL)
# The name of a table's second version, its keys' (`key_columns`): `tracker_case.keys`.
KEYS = ".keys"

# The versions read at the start of the current public request (`snapshot()`).
_snapshot = contextvars.ContextVar("data_versions", default=None)
# The tables the page being rendered has read, or None when no page is being recorded.
_reads = contextvars.ContextVar("tables_read", default=None)


@functools.cache
def code_fingerprint():
    """A short hash of the code, templates and translations that render pages (the same in
    every worker and on every server): a new catalogue changes every ETag, so no one keeps a
    page in old words."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256(settings.RELEASE.encode())
    files = [
        *sorted((root / "templates").rglob("*.html")),
        *sorted((root / "tracker").rglob("*.py")),
        *sorted((root / "tracker").rglob("*.html")),
        *sorted((root / "tracker" / "locale").rglob("*.po")),
        *sorted((root / "tracker" / "locale").rglob("*.mo")),
        Path(settings.STATIC_ROOT) / "staticfiles.json",
    ]
    for path in files:
        if path.is_file():
            # Names and contents, not times: every server of a release computes the same
            # fingerprint wherever its checkout lives, so they share cached pages and ETags.
            name = path.relative_to(root) if path.is_relative_to(root) else path.name
            digest.update(f"{name}:".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


# Tables


@functools.cache
def untracked_tables():
    models = list(UNTRACKED_MODELS)
    for config in apps.get_app_configs():
        if config.label in UNTRACKED_APPS:
            models.extend(config.get_models(include_auto_created=True))
    return frozenset(model._meta.db_table for model in models)


@functools.cache
def models_by_table():
    """{table: model} of every installed model, many-to-many tables' too."""
    return {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}


@functools.cache
def known_tables():
    """The tables of every installed model (many-to-many tables too) that carry a version."""
    return frozenset(models_by_table().keys() - untracked_tables())


def tables_of(models):
    """The tables rows of `models` live in: their own and their many-to-many tables."""
    if not models:
        return set(known_tables())
    tables = set()
    for model in models:
        tables.add(model._meta.db_table)
        for field in model._meta.many_to_many:
            tables.add(field.remote_field.through._meta.db_table)
        for relation in model._meta.related_objects:
            if relation.many_to_many:
                tables.add(relation.through._meta.db_table)
    return tables


@functools.cache
def key_columns(model):
    """The columns of `model` that decide which of its rows a count, a join or a filter by
    choice finds: every column but free text (a text without choices: names, titles,
    summaries, addresses) and the times a row was created and changed.

    A table's keys have a version of their own (`KEYS`), which an edit of text leaves as it
    was: what only counts rows, joins them and tests their states, kinds and dates (the home
    page's numbers and charts, the numbers beside a list's rows) is kept across such edits."""
    return tuple(
        field.column
        for field in model._meta.concrete_fields
        if not (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
        and not (isinstance(field, models.CharField | models.TextField) and not field.choices)
    )


def keyed(tables):
    """The names of the keys' versions of `tables` (`*` stays `*`)."""
    return {table if table == EVERYTHING else f"{table}{KEYS}" for table in tables}


def written_tables(sql):
    """The tables `sql` may write to: empty for reads and schema changes."""
    match = WRITE.match(sql)
    if match:
        table = match.group(1)
        return set() if table in untracked_tables() else {table}
    if OTHER_WRITE.match(sql):
        return (known_tables().intersection(WORD.findall(sql))) or {EVERYTHING}
    return set()


# The execute wrapper


def versioning(execute, sql, params, many, context):
    """Bumps the version of every table a statement writes, in the statement's transaction;
    and, while a public page renders, notes the tables its statements read."""
    reads = _reads.get()
    if reads is not None:
        reads.read(known_tables().intersection(WORD.findall(sql)))
    connection = context["connection"]
    tables = written_tables(sql)
    if not tables or getattr(connection, "migrating", False):
        return execute(sql, params, many, context)
    # A cursor of its own (the statement's may hold rows yet to be fetched), unwrapped.
    cursor = connection.create_cursor()
    try:
        row = None if many else _row_keys(sql, params, connection)
        before = row and row.read(cursor, lock=True)
        # After the write: outside a transaction, the bump is committed just after it, so a
        # page that read the new rows before then is recorded under the old version, stale at
        # once.
        result = execute(sql, params, many, context)
        bumped = tables if row and row.read(cursor) == before else tables | keyed(tables)
        DataVersion.bump_tables(bumped, connection, cursor)
    finally:
        cursor.close()
    return result


class _RowKeys:
    """The key columns of the one row an UPDATE writes, read on a bare cursor."""

    def __init__(self, connection, model, key):
        quote = connection.ops.quote_name
        columns = ", ".join(map(quote, key_columns(model)))
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        self.sql = f"SELECT {columns} FROM {table} WHERE {pk} = %s"  # noqa: S608
        self.lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        self.key = key

    def read(self, cursor, lock=False):
        cursor.execute(self.sql + (self.lock if lock else ""), [self.key])
        return cursor.fetchall()


def _row_keys(sql, params, connection):
    """For an UPDATE of one row by its primary key inside a transaction, what reads its keys
    before and after it (the keys' version is bumped only if they changed); otherwise None
    (both versions are bumped).

    Inside a transaction nothing else can write the row between the two reads: on SQLite the
    transaction holds the database's write lock from its start (`transaction_mode`
    IMMEDIATE), on PostgreSQL the first read locks the row (FOR UPDATE). Outside one, another
    writer could change the keys between the reads and the write, unseen."""
    if not connection.in_atomic_block:
        return None
    match = UPDATE_BY_KEY.fullmatch(sql.strip())
    model = match and models_by_table().get(match.group(1))
    if model is None or match.group(2) != model._meta.pk.column or not params:
        return None
    return _RowKeys(connection, model, params[-1])


def install(connection, **kwargs):
    """Put `versioning` on a connection (connection_created calls it for each new one)."""
    if versioning not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, versioning)


def _migrating(using="default", **kwargs):
    connections[using].migrating = True


def _migrated(using="default", **kwargs):
    """Migrations run without versions (the table may not be there yet), then bump everything."""
    connection = connections[using]
    connection.migrating = False
    if DataVersion._meta.db_table in connection.introspection.table_names():
        DataVersion.bump(using=using)


def install_everywhere(app_config):
    from django.db.backends.signals import connection_created
    from django.db.models.signals import post_migrate, pre_migrate

    connection_created.connect(install, dispatch_uid="tracker.caching.install")
    for connection in connections.all():
        install(connection)
    pre_migrate.connect(_migrating, dispatch_uid="tracker.caching.migrating")
    post_migrate.connect(_migrated, sender=app_config, dispatch_uid="tracker.caching.migrated")


# Versions


class _Later(dict):
    """The versions of a request that keeps no page (an editor's): read when first needed."""

    read = False


def snapshot():
    """{table: version} for this request: read once at its start (or now, outside one)."""
    versions = _snapshot.get()
    if versions is None:
        return DataVersion.snapshot()
    if isinstance(versions, _Later) and not versions.read:
        versions.update(DataVersion.snapshot())
        versions.read = True
    return versions


def _versions(tables):
    """{name: version} of `tables` (names of versions, as they are) and `*`; the page or part
    being recorded depends on them."""
    versions = snapshot()
    reads = _reads.get()
    if reads is not None:
        reads.update(tables)
    return {table: versions.get(table, 0) for table in sorted({*tables, EVERYTHING})}


def _token(versions):
    text = ";".join(f"{table}={number}" for table, number in sorted(versions.items()))
    return hashlib.sha256(f"{text};{code_fingerprint()}".encode()).hexdigest()[:16]


def cached_fragment(name, models, render, by_keys=False):
    """The HTML (or any picklable value) `render()` returns, rendered once, then taken from
    the cache while the tables it depends on keep their versions: those of the `models` it
    shows (their rows may have been read before `render()` is called) and every table its
    own queries read. For parts of pages that are the same on many pages (a filter form's
    long lists of laws, a list's count, the home page's numbers), per language and code.

    With `by_keys`, what `render()` shows depends on the key columns of what it reads and no
    more (`key_columns`: it counts rows, joins them, tests states and kinds, never shows a
    name): it is kept by the versions of those tables' keys, and an edit of a title or a
    summary leaves it valid. `tests/test_invalidation.py` checks the SQL of the parts kept so
    (those of the home page and the lists)."""
    key = f"fragment:{name}:{get_language()}:{code_fingerprint()}"
    versions = snapshot()
    entry = _cache_get(key)
    if _valid(entry, versions):
        _versions(entry["versions"])  # the page depends on them too
        return entry["value"]
    with _recording(by_keys) as reads:
        value = render()
    reads.read(tables_of(models))  # as its statements' tables: their keys', with by_keys
    _cache_set(key, {"versions": _versions(reads), "value": value})
    return value


class _Reads(set):
    """The names of the versions a page or a part depends on: the tables its statements read
    (their keys' versions, for a part that depends on keys alone) and the versions of the
    parts it took, as they are."""

    def __init__(self, by_keys=False):
        super().__init__()
        self.by_keys = by_keys

    def read(self, tables):
        self.update(keyed(tables) if self.by_keys else tables)


@contextlib.contextmanager
def _recording(by_keys=False):
    """The versions the statements run inside the block depend on (a page, or a fragment
    within one: the page then counts the fragment's versions, not its reads)."""
    reads = _Reads(by_keys)
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


# The cache, which may be away (a Redis server restarting): pages are then rendered.


def _cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 (whatever the backend raises, the page is rendered)
        logger.warning("Cache unavailable; rendering without it", exc_info=True)
        return None


def _cache_set(key, value):
    try:
        cache.set(key, value)
    except Exception:  # noqa: BLE001
        logger.warning("Cache unavailable; not keeping %s", key, exc_info=True)


def _cache_get_many(keys):
    try:
        return cache.get_many(keys)
    except Exception:  # noqa: BLE001
        logger.warning("Cache unavailable; rendering without it", exc_info=True)
        return {}


def _cache_set_many(entries):
    try:
        cache.set_many(entries)
    except Exception:  # noqa: BLE001
        logger.warning("Cache unavailable; not keeping %s", ", ".join(entries), exc_info=True)


# Pages


def cached_values(name, keys, models, compute, default=None, by_keys=False):
    """{key: value} for each of `keys`, each kept as `cached_fragment` keeps a fragment (while
    the tables it depends on keep their versions; with `by_keys`, the versions of their keys,
    as `cached_fragment`'s): `compute(missing)` returns {key: value} for
    the keys not yet kept, all at once (a key it leaves out gets `default`). For numbers shown
    beside the rows of a page, such as the cases under each law of a list: a row's value is
    reused on every page that shows it."""
    prefix = f"values:{name}:{code_fingerprint()}"
    cache_keys = {key: f"{prefix}:{key}" for key in keys}
    versions = snapshot()
    kept = _cache_get_many(cache_keys.values())
    values = {}
    for key, cache_key in cache_keys.items():
        entry = kept.get(cache_key)
        if _valid(entry, versions):
            _versions(entry["versions"])  # the page depends on them too
            values[key] = entry["value"]
    missing = [key for key in keys if key not in values]
    if missing:
        with _recording(by_keys) as reads:
            computed = compute(missing)
        reads.read(tables_of(models))
        depends = _versions(reads)
        fresh = {key: computed.get(key, default) for key in missing}
        _cache_set_many(
            {cache_keys[key]: {"versions": depends, "value": value} for key, value in fresh.items()}
        )
        values.update(fresh)
    return values


def _has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _public_headers(response, entry):
    response["ETag"] = entry["etag"]
    response["Last-Modified"] = http_date(entry["modified"])
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"
    patch_vary_headers(response, ["Cookie"])
    return response


def _cache_key(request):
    """Per address, code and day: an export's file name carries the day it was made
    (`tracker.exports.export_filename`), so a copy is not served under another day's name."""
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"page:{code_fingerprint()}:{timezone.now().date().isoformat()}:{address}"


def _keepable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and len(response.content) <= MAX_CACHED_BYTES
    )


def _valid(entry, versions):
    return entry is not None and all(
        versions.get(table, 0) == number for table, number in entry["versions"].items()
    )


def _entry(versions):
    return {
        "versions": versions,
        "etag": f'"{_token(versions)}"',
        # Version numbers are times of change in microseconds.
        "modified": max(versions.values()) // 1_000_000,
        "content": None,
        "headers": None,
    }


def _rendered(view, request, args, kwargs):
    """The view's response, its template (if any) rendered."""
    response = view(request, *args, **kwargs)
    if hasattr(response, "render") and callable(response.render):
        response.render()
    return response


def _render(view, request, args, kwargs):
    """The view's response, rendered, and the tables its queries read."""
    with _recording() as reads:
        response = _rendered(view, request, args, kwargs)
    if response.streaming:
        reads = known_tables()  # read while streaming, after this: depends on everything
    return response, reads


def public_page(view):
    """Serve a public view with validators, a shared page cache and Cache-Control."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or _has_session(request):
            token = _snapshot.set(_Later())  # fragments still share one read of the versions
            try:
                response = _rendered(view, request, args, kwargs)
            finally:
                _snapshot.reset(token)
            add_never_cache_headers(response)
            return response
        token = _snapshot.set(DataVersion.snapshot())  # before anything the page shows
        try:
            return _serve(view, request, args, kwargs)
        finally:
            _snapshot.reset(token)

    return wrapped


def _serve(view, request, args, kwargs):
    versions = _snapshot.get()
    key = _cache_key(request)
    entry = _cache_get(key)
    if _valid(entry, versions):
        not_modified = get_conditional_response(
            request, etag=entry["etag"], last_modified=entry["modified"]
        )
        if not_modified is not None:
            return _public_headers(not_modified, entry)
        if entry["content"] is not None and settings.PAGE_CACHE and request.method == "GET":
            response = HttpResponse(entry["content"], headers=entry["headers"])
            return _public_headers(response, entry)
    response, reads = _render(view, request, args, kwargs)
    if response.status_code != 200 or response.cookies:
        return response
    entry = _entry(_versions(reads))
    not_modified = get_conditional_response(
        request, etag=entry["etag"], last_modified=entry["modified"]
    )
    if not_modified is not None:
        return _public_headers(not_modified, entry)
    if settings.PAGE_CACHE and request.method == "GET" and _keepable(response):
        entry["content"] = response.content
        entry["headers"] = dict(response.headers)  # the view's own: its type, a file's name
    _cache_set(key, entry)  # without its content, it still answers conditional requests
    return _public_headers(response, entry)
