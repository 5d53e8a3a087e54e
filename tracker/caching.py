"""HTTP caching of public pages for anonymous readers; editors always see fresh pages.

Every public page depends on nothing but the public record, the code and the
address. So one number, `DataVersion`, bumped in the same transaction as any
change to a tracker record, is enough to validate any page:

- the ETag is the data version (number and time) plus a fingerprint of the code and templates,
  and Last-Modified is the time of the last change, so a repeat visit gets a
  `304 Not Modified` after one one-row query and no rendering;
- a rendered page is kept in Django's cache under that ETag and its full URL,
  which holds the language (`/ru/…` is Russian, every other path English, whatever
  the browser asks for: tracker/urls.py), so the next reader of the same page is
  served without rendering it again (a change to the record makes a new ETag:
  stale copies are never served);
- `Cache-Control: public, max-age=PUBLIC_CACHE_SECONDS` lets browsers and proxies
  reuse a page briefly without asking.

A request that carries a session cookie (an editor, or anyone who has logged in)
bypasses all of this and gets `Cache-Control: private, no-cache, no-store`.
"""

import contextvars
import functools
import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language
from simple_history.models import HistoricalChanges

from tracker.models import DataVersion, LoginFailure, SearchEntry

# Rendered pages larger than this are not kept (exports stream and are never kept).
MAX_CACHED_BYTES = 1024 * 1024
# Not the public record: bookkeeping, and login throttling.
UNTRACKED = {DataVersion, LoginFailure, SearchEntry}
# The data version a public page is being rendered for (read once, for its ETag): the
# fragments of that page are keyed by it rather than by a second read.
_page_version = contextvars.ContextVar("page_version", default=None)


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


def data_version(*models):
    """A token that changes whenever a row of any of `models` changes (of any tracker model
    when none is given). Cached fragments are keyed by it."""
    version = _page_version.get() or DataVersion.current()
    return f"{version.number}.{version.changed_at.timestamp():.6f}"


def cached_fragment(name, models, render):
    """The HTML `render()` returns, rendered once per version of the `models` it shows (and
    per language and code), then taken from the cache: for parts of pages that are the
    same on many pages, such as a filter form's long lists of laws and countries."""
    key = f"fragment:{name}:{get_language()}:{data_version(*models)}:{code_fingerprint()}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html)
    return html


def cached_values(name, keys, models, compute, default=None):
    """{key: value} for each of `keys`, each value kept per version of the `models` it is read
    from: `compute(missing)` returns {key: value} for the keys not yet kept, all at once (a key
    it leaves out gets `default`). For numbers shown beside the rows of a page, such as the
    cases under each law of a list: a row's value is reused on every page that shows it."""
    version = data_version(*models)
    cache_keys = {key: f"values:{name}:{key}:{version}" for key in keys}
    kept = cache.get_many(cache_keys.values())
    values = {key: kept[cache_key] for key, cache_key in cache_keys.items() if cache_key in kept}
    missing = [key for key in keys if key not in values]
    if missing:
        computed = compute(missing)
        fresh = {key: computed.get(key, default) for key in missing}
        cache.set_many({cache_keys[key]: value for key, value in fresh.items()})
        values.update(fresh)
    return values


def _has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _public_headers(response, etag, last_modified):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"
    patch_vary_headers(response, ["Cookie"])
    return response


def _cache_key(request, etag):
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"page:{etag.strip(chr(34))}:{address}"


def _keepable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and len(response.content) <= MAX_CACHED_BYTES
    )


def public_page(view):
    """Serve a public view with validators, a shared page cache and Cache-Control."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or _has_session(request):
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response
        version = DataVersion.current()
        etag = f'"{version.number}.{version.changed_at.timestamp():.6f}-{code_fingerprint()}"'
        last_modified = version.changed_at.timestamp()
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=int(last_modified)
        )
        if not_modified is not None:
            return _public_headers(not_modified, etag, last_modified)
        key = _cache_key(request, etag)
        keep = settings.PAGE_CACHE and request.method == "GET"
        cached = cache.get(key) if keep else None
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
        else:
            token = _page_version.set(version)
            try:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response.render()
            finally:
                _page_version.reset(token)
            if keep and _keepable(response):
                cache.set(key, (response.content, response["Content-Type"]))
        if response.status_code == 200:
            _public_headers(response, etag, last_modified)
        return response

    return wrapped


def _changed(sender, **kwargs):
    if kwargs.get("action", "post_").startswith("post_"):
        DataVersion.bump()


def connect():
    """Bump the data version on every save, delete and many-to-many change of a tracker model."""
    for model in apps.get_app_config("tracker").get_models():
        if model in UNTRACKED or issubclass(model, HistoricalChanges):
            continue  # history rows are written with the change that already bumps
        uid = f"tracker.caching.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_changed, sender=through, dispatch_uid=f"{uid}.{field.name}")
