"""The site's URLs (tracker.urls), and the bare and drawn views the site benchmark measures
pages against (bench.views)."""

from django.urls import path

from bench.views import bare_view, drawn_view
from tracker.urls import urlpatterns as site_urlpatterns

BARE_URL = "/bench/bare/"
DRAWN_PREFIX = "/bench/drawn/"  # + a detail page's address without its first "/"

urlpatterns = [
    path(BARE_URL[1:], bare_view),
    path(f"{DRAWN_PREFIX[1:]}<path:path>", drawn_view),
    *site_urlpatterns,
]
