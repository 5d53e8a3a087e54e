"""The real settings, plus what only the benchmarks need: this app and its URLs.

`DJANGO_SETTINGS_MODULE=bench.settings manage.py site_benchmark` (the Makefile's `bench`
targets set it). Production uses tracker.settings, which carries nothing of this.
"""

from tracker.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405 (its management commands)
ROOT_URLCONF = "bench.urls"
