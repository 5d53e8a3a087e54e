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
}


# The admin's protections, each read from its own environment variable.
ADMIN_ENV = [
    "ADMIN_PATH",
    "ADMIN_SESSION_MINUTES",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
    "ADMIN_REQUIRE_OTP",
    "PROXY_COUNT",
]
PRINT_ADMIN_SETTINGS = (
    "from django.conf import settings as s; print(s.ADMIN_PATH, s.SESSION_COOKIE_AGE, "
    "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.ADMIN_REQUIRE_OTP, s.PROXY_COUNT)"
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


def test_missing_secret_key_is_a_start_up_error():
    result = manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_admin_protections_follow_the_environment():
    def admin_settings(**env):
        result = manage("shell", "--no-imports", "-c", PRINT_ADMIN_SETTINGS, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert admin_settings(**PRODUCTION_ENV) == ["admin/", "7200", "5", "900.0", "False", "0"]
    moved = {
        "ADMIN_PATH": "/desk/",
        "ADMIN_SESSION_MINUTES": "30",
        "LOGIN_FAILURE_LIMIT": "3",
        "LOGIN_COOLOFF_MINUTES": "60",
        "ADMIN_REQUIRE_OTP": "1",
        "PROXY_COUNT": "1",
    }
    assert admin_settings(**PRODUCTION_ENV, **moved) == [
        "desk/",
        "1800",
        "3",
        "3600.0",
        "True",
        "1",
    ]
