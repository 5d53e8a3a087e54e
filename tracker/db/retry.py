"""Run a read (GET or HEAD) again when its database connection was cut mid-request.

A PostgreSQL restart ends every open connection: a request that was between two queries at
that moment fails on the next one. A read has no effect worth keeping, so it can run again
from the start on a new connection (which tracker.db.postgresql waits for). A POST never is:
whether its writes were committed before the cut cannot be known here.
"""

import contextlib
import logging

import psycopg
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections

from tracker.db.postgresql.base import is_transient

logger = logging.getLogger(__name__)

RETRIED_METHODS = {"GET", "HEAD"}


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


class RetryReadsMiddleware:
    """Calls the view of a GET or HEAD again, up to DATABASE_READ_RETRIES times, after an
    error from a cut database connection. Any other error, and every other method, goes on
    as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in RETRIED_METHODS:
            return None
        retries = settings.DATABASE_READ_RETRIES
        for attempt in range(retries + 1):
            try:
                response = view_func(request, *view_args, **view_kwargs)
                # A template response queries lazily while it renders: render it here, inside
                # the retry (Django does not render it twice).
                if callable(getattr(response, "render", None)):
                    response = response.render()
                return response
            except (OperationalError, InterfaceError) as error:
                if attempt == retries or not connection_lost(error):
                    raise
                logger.warning(
                    "Connection lost during %s %s (%s); running it again",
                    request.method,
                    request.path,
                    error,
                )
                reset_broken_connections()
        return None  # not reached: the last attempt returns or raises
