"""One row that changes whenever the public record does: the base of HTTP caching."""

import datetime
import functools

from django.db import connections, models, router
from django.db.models import F
from django.utils import timezone


class DataVersion(models.Model):
    """The public record's version number and the time of its last change.

    Every save or delete of a tracker record bumps it in the same transaction
    (see `tracker.caching`), so a page rendered from older data can never be
    served under the new version. Bulk writers that bypass signals call `bump()`.
    """

    number = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_data_version")]

    def __str__(self):
        return f"version {self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def current(cls):
        """The row (created if missing), read for its number and time.

        Every public request asks for it, so the SQL is compiled once per database
        and run on a bare cursor: building the query with the ORM cost more than running it.
        """
        alias = router.db_for_read(cls)
        sql, params = cls._current_sql(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            cls.bump()
            return cls.current()
        number, changed_at = row
        changed_at = cls._meta.get_field("changed_at").to_python(changed_at)
        if timezone.is_naive(changed_at):  # SQLite keeps UTC without a zone
            changed_at = timezone.make_aware(changed_at, datetime.UTC)
        return cls(pk=1, number=number, changed_at=changed_at)

    @staticmethod
    @functools.cache
    def _current_sql(alias):
        query = DataVersion.objects.using(alias).filter(pk=1).values_list("number", "changed_at")
        return query.query.sql_with_params()

    @classmethod
    def bump(cls):
        now = timezone.now()
        if not cls.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now):
            cls.objects.get_or_create(pk=1, defaults={"changed_at": now})
