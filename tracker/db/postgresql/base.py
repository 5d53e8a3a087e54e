"""Django's PostgreSQL backend, waiting (bounded) for a server that is restarting.

While PostgreSQL restarts it refuses connections for a moment ("connection refused", "the
database system is starting up"). Django would turn that into a 500 for every request in the
meantime; this backend retries the connection with backoff for DATABASE_CONNECT_RETRY_SECONDS,
so those requests wait instead. Errors that waiting cannot cure (a wrong password, a database
that does not exist) fail at once.
"""

import logging
import time

from django.conf import settings
from django.db.backends.postgresql import base

logger = logging.getLogger(__name__)

# SQLSTATE classes and codes worth waiting for: a connection exception (class 08), and the server
# shutting down or not yet accepting connections (57P01 admin shutdown, 57P03 cannot connect now).
TRANSIENT_SQLSTATE_CLASSES = {"08"}
TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03"}
FIRST_PAUSE_SECONDS = 0.05
LONGEST_PAUSE_SECONDS = 1.0


def is_transient(error):
    """True for a connection error that a server coming back would cure.

    Without a SQLSTATE the server never answered (refused, reset, unreachable); with one, only
    the codes above: authentication or a missing database are for a person to fix.
    """
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is None:
        return True
    return sqlstate in TRANSIENT_SQLSTATES or sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES


def connect_with_retry(connect, retry_seconds, sleep=time.sleep, clock=time.monotonic):
    """Call `connect()` until it succeeds, a permanent error, or `retry_seconds` have passed.

    Pauses double from FIRST_PAUSE_SECONDS up to LONGEST_PAUSE_SECONDS; the last error is
    raised when time runs out.
    """
    deadline = clock() + retry_seconds
    pause = FIRST_PAUSE_SECONDS
    attempt = 1
    while True:
        try:
            return connect()
        except base.Database.OperationalError as error:
            if not is_transient(error) or clock() + pause > deadline:
                raise
            logger.warning(
                "Database connection attempt %d failed (%s); retrying in %.2f s",
                attempt,
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
                pause,
            )
            sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            attempt += 1


class DatabaseWrapper(base.DatabaseWrapper):
    """PostgreSQL, as Django ships it, but a new connection waits for a restarting server, and
    it counts the COMMITs it sends (a request cut after one may not run again: tracker.db.retry).
    """

    commits_sent = 0

    def _commit(self):
        self.commits_sent += 1
        return super()._commit()

    def get_new_connection(self, conn_params):
        parent = super().get_new_connection
        return connect_with_retry(
            lambda: parent(conn_params), settings.DATABASE_CONNECT_RETRY_SECONDS
        )
