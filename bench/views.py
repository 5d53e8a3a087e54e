"""What the site benchmark measures pages against, served only with bench.settings
(bench/urls.py).

The bare view goes through every middleware but touches neither the database nor a
template, so its requests per second are the most any page can reach on the same
gunicorn, machine and settings.

The drawn view serves a detail page drawn from its template alone: the page's own view
builds its context (every query of the view) once per address in the process, and every
request after that renders the template again from that context, through the same page
wrapper as the site's pages. Its requests per second are the most that page can reach with
its template as it is, however its rows were read.
"""

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.views.generic.detail import SingleObjectMixin

from tracker.caching import public_page


def bare_view(request):
    return HttpResponse("ok", content_type="text/plain")


# (address, language) -> the context its view built, kept for the life of the process.
_contexts = {}


@public_page
def drawn_view(request, path):
    """The detail page at /<path>, drawn from a context built at its first request."""
    try:
        match = resolve(f"/{path}")
    except Resolver404:
        raise Http404 from None
    view_class = getattr(match.func, "view_class", None)
    if view_class is None or not issubclass(view_class, SingleObjectMixin):
        raise Http404("The drawn view serves detail pages only.")
    # The page's own address, for what it reads of it (its links in the other language).
    request.path = request.path_info = f"/{path}"
    request.resolver_match = match
    view = view_class(**match.func.view_initkwargs)
    view.setup(request, *match.args, **match.kwargs)
    key = (path, translation.get_language())
    if key not in _contexts:
        view.object = view.get_object()
        _contexts[key] = view.get_context_data(object=view.object)
    return TemplateResponse(request, view.get_template_names(), _contexts[key])
