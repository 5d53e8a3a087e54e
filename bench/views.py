"""The ceiling for the site benchmark, served only with bench.settings (bench/urls.py).

The bare view goes through every middleware but touches neither the database nor a
template, so its requests per second are the most any page can reach on the same
gunicorn, machine and settings.
"""

from django.http import HttpResponse


def bare_view(request):
    return HttpResponse("ok", content_type="text/plain")
