"""Admin login throttling beyond django-axes's (username, address) pause.

- An account takes at most LOGIN_ACCOUNT_HOURLY_LIMIT failed logins an hour from untrusted
  browsers, whatever their addresses (OWASP ASVS 4 V2.2.1); past that, untrusted browsers are
  refused without their password being checked.
- A successful login gives the browser a signed device cookie for that username (OWASP "Slow Down
  Online Guessing Attacks with Device Cookies"). An attempt for the same username carrying it is
  trusted: neither the account limit nor the axes pause applies, so an attacker cannot lock the
  editor out; its failures count against the device, which loses its trust after
  LOGIN_DEVICE_HOURLY_LIMIT of them in an hour.

Failures are `LoginFailure` rows in the database, which every worker shares.
"""

import datetime
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tracker.models import LoginFailure

WINDOW = datetime.timedelta(hours=1)
DEVICE_COOKIE = "tracker_device"
DEVICE_COOKIE_AGE = datetime.timedelta(days=365)
DEVICE_COOKIE_SALT = "tracker.accounts.device-cookie"
NONCE_MAX_LENGTH = LoginFailure._meta.get_field("device").max_length
# The request attribute holding the username a device cookie vouched for in this attempt.
TRUSTED_FOR = "login_trusted_for"


def device_nonce(request, username):
    """The nonce of the request's device cookie if it is genuine, unexpired and for `username`."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return ""
    try:
        device = signing.loads(value, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:  # forged, altered or expired
        return ""
    if not isinstance(device, dict) or device.get("user") != username:
        return ""
    nonce = device.get("nonce")
    return nonce if isinstance(nonce, str) and len(nonce) <= NONCE_MAX_LENGTH else ""


def set_device_cookie(response, request, username):
    """Mark the browser that just logged in as `username` as one of that account's devices."""
    device = {"user": username, "nonce": secrets.token_urlsafe(16)}
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(device, salt=DEVICE_COOKIE_SALT),
        max_age=DEVICE_COOKIE_AGE,
        path=reverse("admin:index"),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def _reserve(username, device, limit):
    """Record a failure ahead of the password check; None (and nothing kept) past the limit.

    Recording first and counting after means that workers checking passwords at the same time
    cannot all slip under the limit: at worst they all refuse.
    """
    now = timezone.now()
    failure = LoginFailure.objects.create(username=username, device=device, attempt_time=now)
    recent = LoginFailure.objects.filter(
        username=username, device=device, attempt_time__gt=now - WINDOW
    ).count()
    if recent > limit:
        failure.delete()
        return None
    return failure


def reserve_attempt(request, username):
    """Before a login's password is checked: the failure it counts as unless it succeeds (the
    caller deletes it then), or None when the login is refused. Notes on `request` whether a
    device cookie made the attempt trusted, for `is_trusted_login`."""
    LoginFailure.objects.filter(attempt_time__lte=timezone.now() - WINDOW).delete()
    nonce = device_nonce(request, username)
    if nonce:
        failure = _reserve(username, nonce, settings.LOGIN_DEVICE_HOURLY_LIMIT)
        if failure is not None:
            setattr(request, TRUSTED_FOR, username)
            return failure
    setattr(request, TRUSTED_FOR, None)
    return _reserve(username, "", settings.LOGIN_ACCOUNT_HOURLY_LIMIT)


def is_trusted_login(request, credentials=None):
    """AXES_WHITELIST_CALLABLE: axes neither pauses nor records an attempt a device cookie vouched
    for (the device keeps its own count)."""
    username = (credentials or {}).get("username")
    return username is not None and getattr(request, TRUSTED_FOR, None) == username
