"""The site's URLs (tracker.urls) and the bare view the site benchmark measures against."""

from django.urls import path

from bench.views import bare_view
from tracker.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("bench/bare/", bare_view), *site_urlpatterns]
