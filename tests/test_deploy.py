"""Production settings: `check --deploy` is clean, a missing secret key stops start-up, and the
admin's protections follow the environment."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": "p7Xk2-this-is-only-a-test-key-with-enough-length-and-variety-9Qz!",
    "ALLOWED_HOSTS": "tracker.example.org",
    "HTTPS": "1",
    "DEBUG": "0",
    "ADMIN_REQUIRE_OTP": "1",
}


# The admin's protections, each read from its own environment variable.
ADMIN_ENV = [
    "ADMIN_PATH",
    "ADMIN_SESSION_MINUTES",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
    "ADMIN_REQUIRE_OTP",
    "PROXY_COUNT",
    "LOGIN_ACCOUNT_HOURLY_LIMIT",
    "LOGIN_DEVICE_HOURLY_LIMIT",
]
PRINT_ADMIN_SETTINGS = (
    "from django.conf import settings as s; print(s.ADMIN_PATH, s.SESSION_COOKIE_AGE, "
    "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.ADMIN_REQUIRE_OTP, "
    "s.PROXY_COUNT, s.LOGIN_ACCOUNT_HOURLY_LIMIT, s.LOGIN_DEVICE_HOURLY_LIMIT)"
)


def manage(*args, env):
    unset = ("SECRET_KEY", "DEBUG", *ADMIN_ENV)
    clean_env = {k: v for k, v in os.environ.items() if k not in unset}
    clean_env["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_the_admin_asks_for_no_second_factor():
    without_otp = {**PRODUCTION_ENV, "ADMIN_REQUIRE_OTP": "0"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=without_otp)
    assert result.returncode != 0
    assert "(tracker.W001) The admin accepts a password without a second factor" in result.stderr
    assert "System check identified 1 issue" in result.stderr


def test_missing_secret_key_is_a_start_up_error():
    result = manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_admin_protections_follow_the_environment():
    def admin_settings(**env):
        result = manage("shell", "--no-imports", "-c", PRINT_ADMIN_SETTINGS, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    defaults = {k: v for k, v in PRODUCTION_ENV.items() if k != "ADMIN_REQUIRE_OTP"}
    assert admin_settings(**defaults) == [
        "admin/",
        "7200",
        "5",
        "900.0",
        "False",
        "0",
        "100",
        "10",
    ]
    moved = {
        "ADMIN_PATH": "/desk/",
        "ADMIN_SESSION_MINUTES": "30",
        "LOGIN_FAILURE_LIMIT": "3",
        "LOGIN_COOLOFF_MINUTES": "60",
        "ADMIN_REQUIRE_OTP": "1",
        "PROXY_COUNT": "1",
        "LOGIN_ACCOUNT_HOURLY_LIMIT": "50",
        "LOGIN_DEVICE_HOURLY_LIMIT": "3",
    }
    assert admin_settings(**defaults, **moved) == [
        "desk/",
        "1800",
        "3",
        "3600.0",
        "True",
        "1",
        "50",
        "3",
    ]
