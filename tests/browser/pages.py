"""The public pages the browser tests visit, derived from the URL conf rather than listed by hand.

Every URL name of the `tracker` namespace becomes a page: names without arguments as they are,
detail pages with the first record of their view's own (public) queryset, so visibility stays
decided by `.published()`. The JSON API is left out by its views (Django REST framework), and
whatever else is not HTML (the feed, the health check) by its content type when visited. A new
URL name with arguments that cannot be derived makes `public_pages()` fail until it is handled
here, so the list cannot silently drift.
Each page is listed once per language whose URLs differ (`i18n_patterns` prefixes such as /ru/).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from django.views.generic.list import MultipleObjectMixin
from rest_framework.views import APIView

# URL names with arguments that are not a record's page, and why the browser tests skip them
# (besides the JSON API's endpoints, recognised by their views; its HTML docs page stays).
NOT_PAGES = {
    "data-file": "a file of a bulk release, downloaded rather than read",
    "sitemap-section": "XML for search engines (the sitemap index is visited as a page)",
}


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, e.g. "organisation-detail"
    language: str
    path: str
    is_list: bool = False  # a list of records (a ListView), e.g. /organisations/

    @property
    def label(self):
        return f"{self.name} [{self.language}] {self.path}"


def url_names(namespace="tracker"):
    """(name, view) of every named URL in `namespace`, its unnamespaced includes too."""
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    found = {}

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if not entry.namespace:
                    walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and entry.name:
                found.setdefault(entry.name, entry)

    walk(resolver.url_patterns)
    return found


def record_for(name, pattern):
    """The first public record of a detail URL's view, as URL keyword arguments."""
    view_class = getattr(pattern.callback, "view_class", None)
    queryset = getattr(view_class, "queryset", None)
    if queryset is None and getattr(view_class, "model", None) is not None:
        queryset = view_class.model.objects.published()  # a view that finds its record itself
    if queryset is None:
        raise AssertionError(
            f"Cannot derive a URL for tracker:{name}: add how to tests/browser/pages.py "
            "(or to NOT_PAGES with a reason)."
        )
    record = queryset.order_by("pk").first()
    assert record is not None, f"The seed record has no public record for tracker:{name}"
    return {key: getattr(record, key) for key in arguments(pattern)}


def arguments(pattern):
    """The names of a URL pattern's arguments (path() converters or re_path() groups)."""
    return list(pattern.pattern.regex.groupindex)


def is_api(pattern):
    """A view of the JSON API (Django REST framework): JSON for programs, not a page."""
    return issubclass(getattr(pattern.callback, "cls", object), APIView)


def languages():
    """Every language of settings.LANGUAGES whose URLs differ (one today; /ru/ once added)."""
    seen, codes = set(), []
    # The default language first, so that it names the pages when no other URLs differ.
    declared = [code for code, _name in settings.LANGUAGES]
    for code in [settings.LANGUAGE_CODE, *declared]:
        with translation.override(code):
            home = reverse("tracker:home")
        if home not in seen:
            seen.add(home)
            codes.append(code)
    return codes


def public_pages():
    """Every candidate public page of the seed record, in every language (HTML or not)."""
    pages = []
    patterns = url_names()
    for language in languages():
        with translation.override(language):
            for name, pattern in patterns.items():
                if name in NOT_PAGES or is_api(pattern):
                    continue
                kwargs = record_for(name, pattern) if arguments(pattern) else {}
                path = reverse(f"tracker:{name}", kwargs=kwargs)
                view_class = getattr(pattern.callback, "view_class", object)
                pages.append(
                    Page(name, language, path, issubclass(view_class, MultipleObjectMixin))
                )
            # Search results, not only the empty search page: the first word of a record's name.
            query = record_query()
            path = f"{reverse('tracker:search')}?{urlencode({'q': query})}"
            pages.append(Page("search", language, path))
    return pages


def record_query():
    from tracker.models import Organisation

    return Organisation.objects.published().order_by("pk").first().name.split()[0]


def pages_named(pages, *names):
    """The pages of the given URL names, in every language."""
    return [page for page in pages if page.name in names]
