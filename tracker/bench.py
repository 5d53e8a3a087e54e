"""The ceiling for `manage.py site_benchmark`, served only with BENCHMARK_VIEWS=1.

The bare view goes through every middleware but touches neither the database nor a
template, so its requests per second are the most any page can reach on the same
gunicorn, machine and settings. Every other page is reported as a fraction of it.
"""

from django.http import HttpResponse
from django.urls import path


def bare_view(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare_view)]
