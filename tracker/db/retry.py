"""Run a read (GET or HEAD) again when its database connection was cut mid-request.

A PostgreSQL restart ends every open connection: a request that was between two queries at
that moment fails on the next one. A read has no effect worth keeping, so it can run again
from the start on a new connection (which tracker.db.postgresql waits for). A POST never is:
whether its writes were committed before the cut cannot be known here.
"""

import contextlib
import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

RETRIED_METHODS = {"GET", "HEAD"}


def lost_connections():
    """The connections that failed and no longer answer: closed by Django after a failed
    rollback, or open but dead (never on SQLite, whose connections are always usable)."""
    return [
        wrapper
        for wrapper in connections.all(initialized_only=True)
        if wrapper.errors_occurred and (wrapper.connection is None or not wrapper.is_usable())
    ]


def close_lost_connections():
    """Close the lost connections, so that the next query opens a new one; True if any."""
    lost = lost_connections()
    for wrapper in lost:
        # Closing a connection whose server has gone may itself fail.
        with contextlib.suppress(DatabaseError):
            wrapper.close()
    return bool(lost)


class RetryReadsMiddleware:
    """Calls the view of a GET or HEAD again, up to DATABASE_READ_RETRIES times, after an
    OperationalError or InterfaceError that left a connection unusable. Any other error, and
    every other method, goes on as usual."""

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
                if attempt == retries or not close_lost_connections():
                    raise
                logger.warning(
                    "Connection lost during %s %s (%s); running it again",
                    request.method,
                    request.path,
                    error,
                )
        return None  # not reached: the last attempt returns or raises
