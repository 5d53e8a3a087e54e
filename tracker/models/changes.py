"""A version per database table, bumped by every write to it: the base of HTTP caching."""

import time

from django.db import connections, models, router
from django.utils import timezone

# The row every page depends on: bumped by `DataVersion.bump()` (restores, index rebuilds,
# bulk loads), it makes every cached page and fragment stale at once.
EVERYTHING = "*"
# PostgreSQL: the transaction lock every writer takes before it bumps a version row.
WRITERS_LOCK = 0x7472_6163_6B65  # "tracke"


class DataVersion(models.Model):
    """The version of one table's rows (or of everything, `EVERYTHING`) and its last change.

    `tracker.caching` bumps the written table's row from every INSERT, UPDATE and DELETE,
    in the same transaction as the write, so a page rendered from older rows can never be
    served under the new version. A number is at least the time of its change in
    microseconds and only ever grows, so numbers never repeat, even after a database is
    emptied and filled again.
    """

    table_name = models.CharField(max_length=200, unique=True)
    number = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.table_name}: version {self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def snapshot(cls, using=None):
        """{table: version number} of every table that was ever written: one query.

        Every public request asks for it, so the SQL is written once and run on a bare
        cursor: building the query with the ORM cost more than running it.
        """
        alias = using or router.db_for_read(cls)
        connection = connections[alias]
        quote = connection.ops.quote_name
        sql = f"SELECT {quote('table_name')}, {quote('number')} FROM {quote(cls._meta.db_table)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return dict(cursor.fetchall())

    @classmethod
    def bump_sql(cls, connection):
        """One statement (with parameters table, number, time) that creates or bumps a row."""
        quote = connection.ops.quote_name
        table, name = quote(cls._meta.db_table), quote("table_name")
        number, changed_at = quote("number"), quote("changed_at")
        greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"
        return (
            f"INSERT INTO {table} ({name}, {number}, {changed_at}) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({name}) DO UPDATE SET "
            f"{number} = {greatest}({table}.{number} + 1, excluded.{number}), "
            f"{changed_at} = excluded.{changed_at}"
        )

    @classmethod
    def bump_tables(cls, tables, connection, cursor):
        """Bump the rows of `tables` on `cursor` (a bare one: no execute wrapper sees it)."""
        sql = cls.bump_sql(connection)
        if connection.vendor == "postgresql":
            # One lock before any version row, held to the end of the transaction (as the one
            # global row of old was): two saves that write the same tables in opposite orders
            # wait for each other rather than deadlock on their version rows. SQLite has one
            # writer at a time anyway.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK])
        now = timezone.now()
        number = time.time_ns() // 1000
        changed_at = connection.ops.adapt_datetimefield_value(now)
        for table in sorted(tables):
            cursor.execute(sql, (table, number, changed_at))

    @classmethod
    def bump(cls, using=None):
        """Make every cached page stale (after writes that may reach tables unseen)."""
        connection = connections[using or router.db_for_write(cls)]
        connection.ensure_connection()
        cursor = connection.create_cursor()
        try:
            cls.bump_tables([EVERYTHING], connection, cursor)
        finally:
            cursor.close()
