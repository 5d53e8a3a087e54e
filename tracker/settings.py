"""Settings for Repression Tracker.

One module, driven by environment variables. With nothing set it runs on an
embedded SQLite database for local use; production sets SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and HTTPS=1.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy, gettext_noop

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Never run a public server with a key that is in the source code.
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable (or DEBUG=1 locally).")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "tracker.apps.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "django_countries",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The read-only JSON API (tracker/api.py), its OpenAPI schema, and CORS for it.
    "rest_framework",
    "drf_spectacular",
    "corsheaders",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, as django-cors-headers asks; acts on /api/ only (CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page is its address: /ru/… is Russian, every other path English
    # (tracker/urls.py; Accept-Language and cookies are never consulted). After sessions,
    # before CommonMiddleware, as Django asks.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Runs a GET or HEAD again when its database connection was cut (a server restart).
    "tracker.db.retry.RetryCutRequestsMiddleware",
    # Records who made each change in the history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into a clear 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

# Django's own form templates drawn by Jinja2, the admin's by Django's engine.
FORM_RENDERER = "tracker.renderers.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # |external_link in every template: an address becomes a link only if http(s).
            # Dates, times, money and permalinks shown one way everywhere (…display).
            "builtins": ["tracker.templatetags.links", "tracker.templatetags.display"],
        },
    },
]

# SQLite by default; DATABASE_URL (e.g. postgres://user@host:5432/name) for anything else.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers in several gunicorn workers proceed while an editor writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, but a new connection waits for a restarting server (tracker/db/).
    DATABASES["default"]["ENGINE"] = "tracker.db.postgresql"
    # No JIT: the visibility rule's nested EXISTS make the planner's estimates of a list's
    # bounded count run into millions, and compiling such a query took seconds where running
    # it takes milliseconds (the site's queries read pages, never whole tables).
    #
    # No parallel workers per query either (DATABASE_PARALLEL_WORKERS, 0 by default): a page's
    # queries are short, many readers ask at once, and workers started for one query take the
    # cores the others wait for. Replaying the search's queries from four connections at once
    # on two cores: about 390 a second without workers, 300 with. Exports read through
    # cursors, which PostgreSQL never runs in parallel anyway.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _parallel = int(os.environ.get("DATABASE_PARALLEL_WORKERS", "0"))
    _options["options"] = (
        f"-c jit=off -c max_parallel_workers_per_gather={_parallel} {_options.get('options', '')}"
    ).strip()
# How long a new database connection keeps trying while the server (re)starts, in seconds.
DATABASE_CONNECT_RETRY_SECONDS = float(os.environ.get("DATABASE_CONNECT_RETRY_SECONDS", "15"))
# A GET or HEAD whose database connection is cut mid-request runs again this many times.
DATABASE_READ_RETRIES = int(os.environ.get("DATABASE_READ_RETRIES", "1"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# British English at unprefixed addresses, Russian under /ru/ (tracker/urls.py, README "Languages").
LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", gettext_noop("English")),
    ("ru", gettext_noop("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "tracker" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Every time shown names its timezone, in public pages and the admin (tracker/formats/).
FORMAT_MODULE_PATH = ["tracker.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security. HTTPS=1 switches on everything that assumes TLS in front of the app.
HTTPS = env_bool("HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Admin sessions end after two hours (ADMIN_SESSION_MINUTES) without activity: every request
# saves the session again and restarts the clock, so only an idle session (a laptop left open) ends.
SESSION_COOKIE_AGE = 60 * int(os.environ.get("ADMIN_SESSION_MINUTES", "120"))
SESSION_SAVE_EVERY_REQUEST = True
# Database sessions, saved again if a database restart cut the connection (tracker/db/).
SESSION_ENGINE = "tracker.db.sessions"
# Cap what one request may post (the admin's largest form is far smaller).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Where the admin lives; moving it off the well-known path cuts drive-by login attempts.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/").strip("/") + "/"

# Failed logins are throttled per username and IP address (django-axes): after
# AXES_FAILURE_LIMIT failures that pair waits AXES_COOLOFF_TIME. The lock never
# outlasts the cool-off and never covers a username alone, so an attacker cannot
# use it to shut editors out for good.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Any attempt during the wait, even with the right password, starts it again (the page says so).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# Behind reverse proxies every request comes from the proxy's address, which would turn the
# username-and-address lock into a username lock anyone could trigger. PROXY_COUNT says how many
# proxies in front of the app append to X-Forwarded-For; the client address that the outermost one
# recorded is used. Leave it 0 unless the app is reachable only through them (or it is forged).
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "tracker.sites.client_ip"
# Beyond that pause (tracker.accounts): an account takes at most LOGIN_ACCOUNT_HOURLY_LIMIT failed
# logins an hour from browsers it never logged in from, whatever their addresses (OWASP ASVS 4
# V2.2.1). A browser it did log in from keeps a device cookie that neither limit nor pause applies
# to, so attackers cannot lock editors out, until it fails LOGIN_DEVICE_HOURLY_LIMIT times an hour.
LOGIN_ACCOUNT_HOURLY_LIMIT = int(os.environ.get("LOGIN_ACCOUNT_HOURLY_LIMIT", "100"))
LOGIN_DEVICE_HOURLY_LIMIT = int(os.environ.get("LOGIN_DEVICE_HOURLY_LIMIT", "10"))
AXES_WHITELIST_CALLABLE = "tracker.accounts.is_trusted_login"

# A second factor (TOTP, django-otp) for every admin login when set.
ADMIN_REQUIRE_OTP = env_bool("ADMIN_REQUIRE_OTP")
OTP_TOTP_ISSUER = "Repression Tracker"

# Content-Security-Policy (django-csp): nothing but this site's own files, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Edit history (django-simple-history): every admin change, bulk ones included.
SIMPLE_HISTORY_REVERT_DISABLED = False
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Bulk import of designations (django-import-export): one transaction, all or nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Importing needs the "add" permission of the model, exporting its "view" permission.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# A larger upload is refused before it is parsed (a register extract is far smaller).
IMPORT_MAX_BYTES = 5 * 1024 * 1024
# tracker.imports writes a "'" before a cell starting with = + - @ (which a spreadsheet would
# run as a formula) and the import takes it off again. The library's own setting is off: in
# 4.4 it deletes a leading "=", so the import would read another name, and leaves + - @ be.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Rendered public pages and fragments (tracker.caching), and the API's rate-limit counters
# (tracker.api.AddressThrottle): in Redis, shared by every worker and server, when REDIS_URL
# is set (e.g. redis://host:6379/0); otherwise in each worker's memory, so each of N workers
# keeps its own pages and allows the API rate on its own. Kept pages are validated by the
# data versions in the database, so a shared cache never serves a stale page.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "tracker")
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # A Redis server that does not answer costs a request half a second, not a timeout.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    CACHES = {
        "default": {**_redis, "TIMEOUT": 60 * 60},
        "throttle": {**_redis, "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:throttle"},
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 500},
        },
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
        },
    }
API_THROTTLE_CACHE = "throttle"
# Off (PAGE_CACHE=0) renders every page, e.g. to measure rendering; validators stay on.
PAGE_CACHE = env_bool("PAGE_CACHE", default=True)
# How long browsers and proxies may reuse a public page without asking again.
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "60"))
# Set per deployment (e.g. a git tag) so pages change their ETag when the code does.
RELEASE = os.environ.get("RELEASE", "")

# Public list pages.
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("Any")
PAGE_SIZE = 50
# Detail pages list this many related records, then link to the filtered list.
DETAIL_LIST_SIZE = 50
# Lists count at most this many rows ("10,000+"); the exports give every row.
LIST_COUNT_CAP = 10_000
SEARCH_MAX_LENGTH = 200

# Historical jurisdictions that ISO 3166 no longer lists but the record needs.
COUNTRIES_OVERRIDE = {"SU": gettext_lazy("Soviet Union (historical)")}

# The read-only JSON API under /api/ (Django REST framework; tracker/api.py). Anonymous only:
# no sessions or CSRF to care about; JSON only (the browsable API's pages need inline script).
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 100
# Requests per address (tracker.sites.client_ip) that anonymous readers may make, e.g. 60/minute.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "60/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    # Pagination, filters and throttling are set on the views in tracker/api.py.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Repression Tracker API",
    "DESCRIPTION": "Read-only, public record of designations, laws, cases, people and sources.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": False,
    # One named enum per set of choices (several models have a "kind").
    "ENUM_NAME_OVERRIDES": {
        **{
            f"{name}Enum": f"tracker.choices.{name}"
            for name in [
                "AliasKind",
                "DesignationKind",
                "EventKind",
                "LawKind",
                "OrganisationKind",
                "PenaltyKind",
                "SourceKind",
            ]
        },
        **{
            f"{name.title().replace('_', '')}TypeEnum": [name]
            for name in ["organisation", "designation", "law", "case", "person", "source"]
            + ["case_event"]
        },
    },
}
# CORS (django-cors-headers): any site may read the API from a browser, without credentials;
# the rest of the site sends no CORS headers.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["Retry-After"]

# Bulk data releases (`manage.py release_data`, served at /data/): where they are written,
# and the site's public address, which every record's "url" in a release starts with (unset,
# a release uses http://localhost:8000 and says so; the API uses the request's address).
DATA_RELEASES_DIR = Path(os.environ.get("DATA_RELEASES_DIR", BASE_DIR / "releases"))
SITE_URL = os.environ.get("SITE_URL", "")

# Where readers report an error in the record (shown on /methodology/ and /about/ when set).
CORRECTIONS_EMAIL = os.environ.get("CORRECTIONS_EMAIL", "").strip()
