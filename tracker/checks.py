"""System checks of a deployment, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_second_factor(app_configs, **kwargs):
    """tracker.W001: the admin lets a password alone in (ADMIN_REQUIRE_OTP is off)."""
    if settings.ADMIN_REQUIRE_OTP:
        return []
    return [
        checks.Warning(
            "The admin accepts a password without a second factor (ADMIN_REQUIRE_OTP is not set).",
            hint="Give every editor and superuser an authenticator app (create_editor --totp, or "
            "TOTP devices in the admin), then set ADMIN_REQUIRE_OTP=1.",
            id="tracker.W001",
        )
    ]
