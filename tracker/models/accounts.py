"""Login throttling state: the failed admin logins of the last hour (see `tracker.accounts`)."""

from django.db import models
from django.utils import timezone


class LoginFailure(models.Model):
    """One failed admin login, kept for an hour to limit password guessing.

    Transient throttling state, not part of the record: rows are pruned after an hour and
    backups leave the table out. `device` is the nonce of the device cookie the browser
    was trusted by, or empty for a browser the account never logged in from.
    """

    username = models.CharField(max_length=150)
    device = models.CharField(max_length=32, blank=True)
    attempt_time = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Counting one account's (device="") or one device's failures in the window.
            models.Index(fields=["username", "device", "attempt_time"], name="login_failure_count"),
            # Pruning rows older than the window.
            models.Index(fields=["attempt_time"], name="login_failure_time"),
        ]

    def __str__(self):
        return f"{self.username} {self.device or 'untrusted'} {self.attempt_time:%Y-%m-%d %H:%M:%S}"
