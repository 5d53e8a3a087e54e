"""URL contract: see DESIGN.md. These paths are public and must stay stable."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("tracker.public_urls")),
]

if settings.BENCHMARK_VIEWS:
    # /bench/bare/, the ceiling `manage.py site_benchmark` measures every page against.
    urlpatterns.append(path("", include("tracker.bench")))
