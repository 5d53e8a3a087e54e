"""The versions of the page being shown in every language, for the switch and hreflang links.

`{% page_languages as versions %}` gives one entry per language of settings.LANGUAGES,
each with the address of this page (same path and query) in that language: `path`
for links on the page, `url` (absolute) for hreflang links, which must be absolute.
Addresses are rebuilt by the URL resolver from the page's URL name and arguments, never
taken from the request's path or from a parameter, so the switch cannot lead off-site
(a path such as `//evil.example/…` would otherwise read as another host).
"""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import translation

from tracker.languages import primary_language
from tracker.templatetags.display import host_allowed

register = template.Library()


@dataclass(frozen=True)
class Version:
    code: str  # Django's language code, e.g. "en-gb"
    hreflang: str  # for lang and hreflang attributes, e.g. "en"
    name: str  # the language's name in that language, e.g. "Русский"
    path: str  # from the site's root, with the query
    url: str  # absolute
    current: bool
    same_page: bool  # False: this page has one address in all languages; url is a home page


def _paths(path_info):
    """{language: this page's path in that language}, or None when the page has the same
    address in every language (the API, the feed, an unknown address)."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return None
    paths = {}
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            try:
                paths[code] = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                return None
    return paths if len(set(paths.values())) == len(paths) else None


@register.simple_tag(takes_context=True)
def page_languages(context):
    """This page in every language (its query kept), or, for a page that has one address
    for all, each language's home page."""
    request = context.get("request")
    if request is None or not host_allowed(request):
        return []  # no absolute address without a trusted host (the 400 page)
    current = translation.get_language()
    # Django's 404 page (django.views.defaults.page_not_found, the only one rendered with the
    # request) is no page in any language: no alternates, and no echo of the address asked for.
    not_found = "request_path" in context and "exception" in context
    # The head's hreflang links and the language switch ask for the same list: built once.
    known = getattr(request, "_page_languages", None)
    if known is None:
        known = request._page_languages = {}
    key = (current, not_found)
    if key not in known:
        known[key] = _versions(request, current, not_found)
    return known[key]


def _versions(request, current, not_found):
    paths = None if not_found else _paths(request.path_info)
    query = request.META.get("QUERY_STRING", "")
    versions = []
    for code, _ in settings.LANGUAGES:
        if paths:
            url = paths[code] + (f"?{query}" if query else "")
        else:
            with translation.override(code):
                url = reverse("tracker:home")
        versions.append(
            Version(
                code=code,
                hreflang=primary_language(code),
                name=translation.get_language_info(primary_language(code))["name_local"],
                path=url,
                url=request.build_absolute_uri(url),
                current=code == current,
                same_page=paths is not None,
            )
        )
    return versions
