"""Django's database sessions, saved again when a server restart cut the connection.

The session is saved after the view has run (every request, SESSION_SAVE_EVERY_REQUEST). If
the connection was cut in between, Django would answer 400 ("session interrupted") although
the view's work was done and committed. Saving the same session data again is harmless.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError

from tracker.db import retry


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            return super().save(must_create)
        except (UpdateError, DatabaseError) as error:
            if not retry.connection_lost(error):
                raise
            retry.reset_broken_connections()
            return super().save(must_create)
