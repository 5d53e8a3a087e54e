"""Run a request again when its database connection was cut mid-request.

A PostgreSQL restart ends every open connection: a request that was between two queries at
that moment fails on the next one. A read (GET, HEAD) has no effect worth keeping, so it runs
again from the start on a new connection (which tracker.db.postgresql waits for). A write
(POST…) runs again only when its attempt provably left nothing in the database: no statement
ran outside a transaction (each of those commits by itself) and no transaction was committed,
or even sent to be committed (`Trace`). A cut inside the admin's transaction, the usual case,
rolls everything back: the editor's save then goes through on the second attempt instead of
failing. When the cut falls on the COMMIT itself, nobody can tell whether it was kept: that
request fails as before.
"""

import contextlib
import logging
import re

import psycopg
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections

from tracker.db.postgresql.base import is_transient

logger = logging.getLogger(__name__)

RETRIED_METHODS = {"GET", "HEAD"}
# Statements that change nothing, even outside a transaction.
READ_ONLY = re.compile(r"\s*(SELECT|BEGIN|SAVEPOINT|RELEASE|ROLLBACK|SHOW|SET)\b", re.IGNORECASE)


def connection_lost(error):
    """True when `error`, or an error it was raised from, is psycopg's for a cut connection.

    Judged by the error, not by the connection afterwards: when the cut falls inside
    `transaction.atomic`, Django has already put a new connection in place by the time the
    error reaches the caller. SQLite's errors (a locked database) and PostgreSQL's for a
    query that failed on a working connection (a timeout, a conflict) are not.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, psycopg.InterfaceError):
            return True
        if isinstance(error, psycopg.OperationalError):
            return is_transient(error)
        error = error.__cause__ or error.__context__
    return False


def broken_connections():
    """The opened connections that no longer answer (SQLite's are always usable)."""
    return [
        wrapper
        for wrapper in connections.all(initialized_only=True)
        if wrapper.connection is not None and not wrapper.is_usable()
    ]


def reset_broken_connections():
    """Close the connections that no longer answer, so that the next query opens a new one."""
    for wrapper in broken_connections():
        # Closing a connection whose server has gone may itself fail.
        with contextlib.suppress(DatabaseError):
            wrapper.close()


class Trace:
    """Whether one attempt of a view may have left something in the database: a statement that
    changes data run outside a transaction, a transaction committed, or a COMMIT sent (see
    `commits_sent` of tracker.db.postgresql's connections)."""

    def __init__(self):
        self.left = False
        self.commits = self.commits_sent()

    @staticmethod
    def commits_sent():
        return sum(getattr(wrapper, "commits_sent", 0) for wrapper in connections.all())

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        if not READ_ONLY.match(sql):
            if connection.in_atomic_block:
                connection.on_commit(self.mark)  # runs only if this transaction is kept
            else:
                self.left = True
        return execute(sql, params, many, context)

    def mark(self):
        self.left = True

    def may_have_left_something(self):
        return self.left or self.commits_sent() != self.commits

    @contextlib.contextmanager
    def watching(self):
        with contextlib.ExitStack() as stack:
            for wrapper in connections.all():
                stack.enter_context(wrapper.execute_wrapper(self))
            yield self


class RetryCutRequestsMiddleware:
    """Calls the view again, up to DATABASE_READ_RETRIES times, after an error from a cut
    database connection: a GET or HEAD always, any other method only when its attempt left
    nothing in the database (see `Trace`). Any other error goes on as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        retries = settings.DATABASE_READ_RETRIES
        read = request.method in RETRIED_METHODS
        for attempt in range(retries + 1):
            trace = Trace()
            try:
                with trace.watching():
                    response = view_func(request, *view_args, **view_kwargs)
                    # A template response queries lazily while it renders: render it here,
                    # inside the retry (Django does not render it twice).
                    if callable(getattr(response, "render", None)):
                        response = response.render()
                return response
            except (OperationalError, InterfaceError) as error:
                kept = not read and trace.may_have_left_something()
                if attempt == retries or kept or not connection_lost(error):
                    raise
                logger.warning(
                    "Connection lost during %s %s (%s); running it again",
                    request.method,
                    request.path,
                    error,
                )
                reset_broken_connections()
        return None  # not reached: the last attempt returns or raises
