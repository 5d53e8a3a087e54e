"""Production settings: `check --deploy` is clean, and a missing secret key stops start-up."""

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


def manage(*args, env):
    clean_env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
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
