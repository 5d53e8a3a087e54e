"""One row that changes whenever the public record does: the base of HTTP caching."""

from django.db import models
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
        version = cls.objects.filter(pk=1).first()
        if version is None:
            cls.bump()
            version = cls.objects.get(pk=1)
        return version

    @classmethod
    def bump(cls):
        now = timezone.now()
        if not cls.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now):
            cls.objects.get_or_create(pk=1, defaults={"changed_at": now})
