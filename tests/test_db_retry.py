"""Surviving a database restart: a new connection waits for the server, a cut read runs again.

Nothing is restarted here: connection factories and views fail on cue. `make load` with
`--restart-postgres` (bench/load_fault.py) restarts a real server under load.
"""

import importlib

import psycopg
import pytest
from django.contrib.sessions.backends import db as sessions_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from psycopg import errors

import tracker.settings
from tracker.db import retry
from tracker.db.postgresql import base as retrying
from tracker.db.postgresql.base import DatabaseWrapper, connect_with_retry
from tracker.db.sessions import SessionStore


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 0.0
        self.pauses = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds


class FailingConnect:
    """A connection factory raising `errors` in turn, then returning "connection"."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "connection"


def refused():
    # What psycopg raises when nothing listens on the port: no SQLSTATE.
    return psycopg.OperationalError("connection refused")


def test_connect_waits_for_a_server_that_comes_back():
    clock = FakeClock()
    connect = FailingConnect(refused(), errors.CannotConnectNow("starting up"))
    assert connect_with_retry(connect, 15, sleep=clock.sleep, clock=clock) == "connection"
    assert connect.calls == 3
    assert clock.pauses == [0.05, 0.1]


def test_connect_gives_up_after_the_retry_time():
    clock = FakeClock()
    connect = FailingConnect(*(refused() for _ in range(100)))
    with pytest.raises(psycopg.OperationalError, match="refused"):
        connect_with_retry(connect, 3, sleep=clock.sleep, clock=clock)
    assert 2 <= clock.now <= 3
    assert max(clock.pauses) == retrying.LONGEST_PAUSE_SECONDS
    assert connect.calls == len(clock.pauses) + 1


def test_connect_fails_at_once_on_an_error_waiting_cannot_cure():
    clock = FakeClock()
    connect = FailingConnect(errors.InvalidPassword("password authentication failed"))
    with pytest.raises(errors.InvalidPassword):
        connect_with_retry(connect, 15, sleep=clock.sleep, clock=clock)
    assert connect.calls == 1
    assert clock.pauses == []


def test_the_backend_retries_a_refused_connection(monkeypatch, settings):
    settings.DATABASE_CONNECT_RETRY_SECONDS = 5
    connect = FailingConnect(refused(), refused())
    monkeypatch.setattr(
        retrying.base.DatabaseWrapper, "get_new_connection", lambda self, params: connect(params)
    )
    monkeypatch.setattr(retrying.time, "sleep", lambda seconds: None)
    wrapper = object.__new__(DatabaseWrapper)  # no settings needed to call the method
    assert wrapper.get_new_connection({"dbname": "x"}) == "connection"
    assert connect.calls == 3


def test_settings_choose_the_retrying_backend_for_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example.org:5432/tracker")
    try:
        assert importlib.reload(tracker.settings).DATABASES["default"]["ENGINE"] == (
            "tracker.db.postgresql"
        )
        monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.sqlite3")
        assert importlib.reload(tracker.settings).DATABASES["default"]["ENGINE"] == (
            "django.db.backends.sqlite3"
        )
    finally:
        monkeypatch.undo()
        importlib.reload(tracker.settings)


class FlakyView:
    """A view whose database connection is cut the first `failures` times it runs."""

    def __init__(self):
        self.failures = 0
        self.calls = 0

    def __call__(self, request):
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("terminating connection due to administrator command")
        return HttpResponse(f"answered on call {self.calls}")


flaky = FlakyView()
urlpatterns = [path("flaky/", flaky)]


class FakeConnection:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


@pytest.fixture
def cut(monkeypatch):
    """The flaky view, failing once, with one connection reported lost when it fails."""
    flaky.failures, flaky.calls = 1, 0
    lost = FakeConnection()
    monkeypatch.setattr(retry, "lost_connections", lambda: [lost])
    return lost


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("method", ["get", "head"])
def test_a_read_cut_from_its_database_runs_again(cut, method):
    response = getattr(Client(raise_request_exception=True), method)("/flaky/")
    assert response.status_code == 200
    assert flaky.calls == 2
    assert cut.closed == 1
    if method == "get":
        assert response.content == b"answered on call 2"


@pytest.mark.urls(__name__)
def test_a_post_cut_from_its_database_is_not_run_again(cut):
    response = Client(raise_request_exception=False).post("/flaky/")
    assert response.status_code == 500
    assert flaky.calls == 1
    assert cut.closed == 0


@pytest.mark.urls(__name__)
def test_a_read_runs_again_only_database_read_retries_times(cut, settings):
    settings.DATABASE_READ_RETRIES = 2
    flaky.failures = 5
    response = Client(raise_request_exception=False).get("/flaky/")
    assert response.status_code == 500
    assert flaky.calls == 3


@pytest.mark.urls(__name__)
def test_an_error_that_left_the_connection_usable_is_not_retried(cut, monkeypatch):
    monkeypatch.setattr(retry, "lost_connections", list)  # e.g. a statement timeout
    response = Client(raise_request_exception=False).get("/flaky/")
    assert response.status_code == 500
    assert flaky.calls == 1


class LazyResponse(HttpResponse):
    """Like a TemplateResponse: queries (and may fail) only when rendered."""

    renders = 0
    is_rendered = False

    def render(self):
        if self.is_rendered:  # as TemplateResponse: rendering twice is a no-op
            return self
        LazyResponse.renders += 1
        if LazyResponse.renders == 1:
            raise OperationalError("server closed the connection unexpectedly")
        self.is_rendered = True
        return self


def lazy_view(request):
    return LazyResponse("rendered")


urlpatterns.append(path("lazy/", lazy_view))


@pytest.mark.urls(__name__)
def test_a_template_response_is_rendered_inside_the_retry(cut):
    LazyResponse.renders = 0
    response = Client(raise_request_exception=True).get("/lazy/")
    assert response.status_code == 200
    assert response.content == b"rendered"
    assert LazyResponse.renders == 2


class FakeWrapper:
    """A database connection as lost_connections() sees it."""

    def __init__(self, errors_occurred, connection, usable):
        self.errors_occurred, self.connection, self.usable = errors_occurred, connection, usable

    def is_usable(self):
        return self.usable


def test_lost_connections_are_those_that_failed_and_no_longer_answer(monkeypatch):
    dead = FakeWrapper(errors_occurred=True, connection="socket", usable=False)
    dropped = FakeWrapper(errors_occurred=True, connection=None, usable=False)
    failed_but_fine = FakeWrapper(errors_occurred=True, connection="socket", usable=True)
    never_failed = FakeWrapper(errors_occurred=False, connection="socket", usable=False)
    everything = [dead, dropped, failed_but_fine, never_failed]

    class Connections:
        def all(self, initialized_only):
            assert initialized_only  # never opens a connection only to test it
            return everything

    monkeypatch.setattr(retry, "connections", Connections())
    assert retry.lost_connections() == [dead, dropped]


class FailingSave:
    """Django's SessionStore.save, failing the first `failures` times as a cut connection does."""

    def __init__(self, failures):
        self.failures = failures
        self.calls = 0
        self.real = sessions_db.SessionStore.save

    @property
    def method(self):
        return lambda store, must_create=False: self(store, must_create)

    def __call__(self, store, must_create=False):
        self.calls += 1
        if self.calls <= self.failures:
            raise UpdateError
        return self.real(store, must_create)


@pytest.mark.django_db
def test_a_session_whose_save_was_cut_is_saved_again(cut, monkeypatch):
    store = SessionStore()
    store["editor"] = "anna"
    store.create()
    save = FailingSave(failures=1)
    monkeypatch.setattr(sessions_db.SessionStore, "save", save.method)
    store["page"] = "case 5"
    store.save()
    assert save.calls == 2
    assert cut.closed == 1
    assert SessionStore(store.session_key).load() == {"editor": "anna", "page": "case 5"}


@pytest.mark.django_db
def test_a_session_save_that_failed_otherwise_is_not_repeated(cut, monkeypatch):
    monkeypatch.setattr(retry, "lost_connections", list)  # e.g. the session was deleted
    store = SessionStore()
    store.create()
    save = FailingSave(failures=1)
    monkeypatch.setattr(sessions_db.SessionStore, "save", save.method)
    with pytest.raises(UpdateError):
        store.save()
    assert save.calls == 1


def test_the_app_uses_these_sessions(settings):
    assert settings.SESSION_ENGINE == "tracker.db.sessions"
    assert "tracker.db.retry.RetryReadsMiddleware" in settings.MIDDLEWARE
