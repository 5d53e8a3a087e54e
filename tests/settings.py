"""Settings for the test suite: the real settings, with a throwaway secret key.

The real settings refuse to start without SECRET_KEY (or DEBUG); tests run with
DEBUG off, as production does, so they provide a key of their own here.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")

from tracker.settings import *  # noqa: E402, F403

# The manifest needs `collectstatic`; tests render templates without running it.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Hashing test passwords the production way costs about half a second per account.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite makes many API requests from one address; tests/test_api.py sets a low limit itself.
API_RATE_LIMIT = "100000/minute"
