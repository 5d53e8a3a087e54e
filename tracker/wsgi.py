"""WSGI entry point for gunicorn: `gunicorn tracker.wsgi`."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

application = get_wsgi_application()

# What is loaded by now (modules, models, settings: most of a worker's objects) lives as long
# as the worker: the garbage collector stops walking it on every full collection, which cost
# detail pages about a sixth of their time (docs/performance.md).
gc.freeze()
