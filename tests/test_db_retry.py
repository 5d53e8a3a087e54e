"""Surviving a database restart: a new connection waits for the server, a cut read runs again.

Nothing is restarted here: connection factories and views fail on cue. `make load` with
`--restart-postgres` (bench/load_fault.py) restarts a real server under load.
"""

import importlib
import sqlite3

import psycopg
import pytest
from django.contrib.sessions.backends import db as sessions_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path
from psycopg import errors

import tracker.settings
from tests import factories
from tracker.db import retry
from tracker.db.postgresql import base as retrying
from tracker.db.postgresql.base import DatabaseWrapper, connect_with_retry
from tracker.db.sessions import SessionStore
from tracker.models import Organisation


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


def cut(cause):
    """Django's error for a database error `cause`, chained as Django raises it."""
    try:
        raise cause
    except (psycopg.Error, sqlite3.Error) as error:
        try:
            raise OperationalError(str(error)) from error
        except OperationalError as wrapped:
            return wrapped


def admin_shutdown():
    return errors.AdminShutdown("terminating connection due to administrator command")


@pytest.mark.parametrize(
    "cause, lost",
    [
        (admin_shutdown(), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (errors.SerializationFailure("could not serialize access"), False),
        (sqlite3.OperationalError("database is locked"), False),
    ],
)
def test_connection_lost_tells_a_cut_connection_from_other_errors(cause, lost):
    assert retry.connection_lost(cut(cause)) is lost


def test_a_cut_connection_is_found_through_the_errors_raised_from_it():
    try:
        raise UpdateError from cut(admin_shutdown())
    except UpdateError as error:
        assert retry.connection_lost(error)
    assert not retry.connection_lost(UpdateError())


class FlakyView:
    """A view failing with `cause` (a cut connection unless told) the first `failures` times."""

    def __init__(self):
        self.failures = 0
        self.calls = 0
        self.cause = admin_shutdown

    def __call__(self, request):
        self.calls += 1
        if self.calls <= self.failures:
            raise cut(self.cause())
        return HttpResponse(f"answered on call {self.calls}")


flaky = FlakyView()
urlpatterns = [path("flaky/", flaky)]


class FakeConnection:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


@pytest.fixture
def broken(monkeypatch):
    """The flaky view, failing once, with one connection reported broken."""
    flaky.failures, flaky.calls, flaky.cause = 1, 0, admin_shutdown
    connection = FakeConnection()
    monkeypatch.setattr(retry, "broken_connections", lambda: [connection])
    return connection


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("method", ["get", "head"])
def test_a_read_cut_from_its_database_runs_again(broken, method):
    response = getattr(Client(raise_request_exception=True), method)("/flaky/")
    assert response.status_code == 200
    assert flaky.calls == 2
    assert broken.closed == 1
    if method == "get":
        assert response.content == b"answered on call 2"


@pytest.mark.urls(__name__)
def test_a_post_cut_before_it_wrote_anything_runs_again(broken):
    response = Client(raise_request_exception=True).post("/flaky/")
    assert response.status_code == 200
    assert flaky.calls == 2


class FlakyWrite:
    """A POST view that saves an organisation, then fails once with a cut connection: inside
    the transaction (`inside`), after committing it (`after_commit`), or after a save outside
    any transaction (`autocommit`)."""

    def __init__(self):
        self.calls = 0
        self.where = "inside"

    def __call__(self, request):
        self.calls += 1
        fail = self.calls == 1
        if self.where == "autocommit":
            factories.OrganisationFactory()
        else:
            with transaction.atomic():
                factories.OrganisationFactory()
                if fail and self.where == "inside":
                    raise cut(admin_shutdown())
        if fail:
            raise cut(admin_shutdown())
        return HttpResponse("saved")


flaky_write = FlakyWrite()
urlpatterns.append(path("flaky-write/", flaky_write))


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "where, status, saved",
    [("inside", 200, 1), ("after_commit", 500, 1), ("autocommit", 500, 1)],
)
def test_a_write_runs_again_only_when_its_cut_left_nothing_in_the_database(
    broken, where, status, saved
):
    flaky_write.calls, flaky_write.where = 0, where
    response = Client(raise_request_exception=False).post("/flaky-write/")
    assert response.status_code == status
    assert flaky_write.calls == (2 if status == 200 else 1)
    assert Organisation.objects.count() == saved  # never twice, never lost


def test_a_commit_sent_counts_as_a_trace(monkeypatch):
    trace = retry.Trace()
    assert not trace.may_have_left_something()

    class Wrapper:
        commits_sent = 1

    monkeypatch.setattr(retry, "connections", type("C", (), {"all": lambda self: [Wrapper()]})())
    assert trace.may_have_left_something()


@pytest.mark.urls(__name__)
def test_a_read_runs_again_only_database_read_retries_times(broken, settings):
    settings.DATABASE_READ_RETRIES = 2
    flaky.failures = 5
    response = Client(raise_request_exception=False).get("/flaky/")
    assert response.status_code == 500
    assert flaky.calls == 3


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "cause",
    [
        lambda: errors.QueryCanceled("canceling statement due to statement timeout"),
        lambda: sqlite3.OperationalError("database is locked"),
    ],
)
def test_a_read_that_failed_otherwise_is_not_run_again(broken, cause):
    flaky.cause = cause
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
            raise cut(psycopg.OperationalError("server closed the connection unexpectedly"))
        self.is_rendered = True
        return self


def lazy_view(request):
    return LazyResponse("rendered")


urlpatterns.append(path("lazy/", lazy_view))


@pytest.mark.urls(__name__)
def test_a_template_response_is_rendered_inside_the_retry(broken):
    LazyResponse.renders = 0
    response = Client(raise_request_exception=True).get("/lazy/")
    assert response.status_code == 200
    assert response.content == b"rendered"
    assert LazyResponse.renders == 2


class FakeWrapper:
    """A database connection as broken_connections() sees it."""

    def __init__(self, connection, usable):
        self.connection, self.usable = connection, usable

    def is_usable(self):
        return self.usable


def test_broken_connections_are_open_ones_that_no_longer_answer(monkeypatch):
    dead = FakeWrapper(connection="socket", usable=False)
    closed = FakeWrapper(connection=None, usable=False)  # nothing to close
    fine = FakeWrapper(connection="socket", usable=True)

    class Connections:
        def all(self, initialized_only):
            assert initialized_only  # never opens a connection only to test it
            return [dead, closed, fine]

    monkeypatch.setattr(retry, "connections", Connections())
    assert retry.broken_connections() == [dead]


class FailingSave:
    """Django's SessionStore.save, failing the first `failures` times with `error()`."""

    def __init__(self, failures, error):
        self.failures, self.error = failures, error
        self.calls = 0
        self.real = sessions_db.SessionStore.save

    @property
    def method(self):
        return lambda store, must_create=False: self(store, must_create)

    def __call__(self, store, must_create=False):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return self.real(store, must_create)


def update_cut():
    """UpdateError as Django's SessionStore.save raises it when the connection is cut."""
    try:
        raise cut(admin_shutdown())
    except OperationalError:
        try:
            raise UpdateError  # noqa: B904 (implicitly chained, as in Django)
        except UpdateError as error:
            return error


@pytest.mark.django_db
def test_a_session_whose_save_was_cut_is_saved_again(broken, monkeypatch):
    store = SessionStore()
    store["editor"] = "anna"
    store.create()
    save = FailingSave(failures=1, error=update_cut)
    monkeypatch.setattr(sessions_db.SessionStore, "save", save.method)
    store["page"] = "case 5"
    store.save()
    assert save.calls == 2
    assert broken.closed == 1
    assert SessionStore(store.session_key).load() == {"editor": "anna", "page": "case 5"}


@pytest.mark.django_db
def test_a_session_save_that_failed_otherwise_is_not_repeated(broken, monkeypatch):
    store = SessionStore()
    store.create()
    save = FailingSave(failures=1, error=UpdateError)  # e.g. the session was deleted
    monkeypatch.setattr(sessions_db.SessionStore, "save", save.method)
    with pytest.raises(UpdateError):
        store.save()
    assert save.calls == 1


def test_the_app_uses_these_sessions(settings):
    assert settings.SESSION_ENGINE == "tracker.db.sessions"
    assert "tracker.db.retry.RetryCutRequestsMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_a_small_export_reads_its_rows_in_the_view_where_a_cut_can_be_retried(export_format):
    # Once streaming has begun, a cut connection can only truncate the download.
    cases = factories.CaseFactory.create_batch(3)
    with CaptureQueriesContext(connection) as in_view:
        response = Client().get(f"/cases/?format={export_format}")
    assert response.status_code == 200
    assert any("tracker_case" in query["sql"] for query in in_view.captured_queries)
    with CaptureQueriesContext(connection) as while_streaming:
        content = response.getvalue().decode()
    assert while_streaming.captured_queries == []
    assert all(case.title in content for case in cases)


def postgresql_options(monkeypatch, **environ):
    """The connection options the settings give DATABASE_URL (with `environ` set)."""
    monkeypatch.setenv(
        "DATABASE_URL", "postgres://someone@db.example.org:5432/tracker?options=-c%20x=1"
    )
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        return importlib.reload(tracker.settings).DATABASES["default"]["OPTIONS"]["options"]
    finally:
        monkeypatch.undo()
        importlib.reload(tracker.settings)


def test_postgresql_connections_run_without_jit_or_parallel_workers(monkeypatch):
    """Compiling the list queries (the visibility rule makes their estimates huge) took seconds;
    workers started for one query take the cores other readers' queries wait for."""
    options = postgresql_options(monkeypatch)
    assert options.split() == [
        *("-c", "jit=off", "-c", "max_parallel_workers_per_gather=0"),
        *("-c", "x=1"),
    ]


def test_parallel_workers_can_be_allowed(monkeypatch):
    options = postgresql_options(monkeypatch, DATABASE_PARALLEL_WORKERS="2")
    assert "max_parallel_workers_per_gather=2" in options.split()


@pytest.mark.django_db
def test_the_database_runs_without_jit_or_parallel_workers():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
