"""The public URL contract from DESIGN.md. Keep these paths stable: people cite them.

Every page but the health check and the API is cached for anonymous readers (`tracker.caching`).

The pages people read (`localised`) are English at their addresses and Russian under `/ru/`;
the rest (`unlocalised`) are data or machinery with one address each. Included by
tracker/urls.py, which explains why the language prefix sits here and not at the root.
"""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, register_converter

from tracker import data_views, health, pages, sitemaps, views
from tracker.caching import public_page


class IdConverter:
    """A database id: digits only, short enough never to overflow a 64-bit integer."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "tracker"

# The pages people read, in every language of settings.LANGUAGES.
localised = [
    path("", public_page(views.HomeView.as_view()), name="home"),
    path(
        "organisations/",
        public_page(views.OrganisationListView.as_view()),
        name="organisation-list",
    ),
    path(
        "organisations/<slug:slug>/",
        public_page(views.OrganisationDetailView.as_view()),
        name="organisation-detail",
    ),
    path(
        "designations/",
        public_page(views.DesignationListView.as_view()),
        name="designation-list",
    ),
    path("laws/", public_page(views.LawListView.as_view()), name="law-list"),
    path("laws/<slug:slug>/", public_page(views.LawDetailView.as_view()), name="law-detail"),
    path("cases/", public_page(views.CaseListView.as_view()), name="case-list"),
    path("cases/<slug:slug>/", public_page(views.CaseDetailView.as_view()), name="case-detail"),
    path("people/", public_page(views.PersonListView.as_view()), name="person-list"),
    path(
        "people/<slug:slug>/", public_page(views.PersonDetailView.as_view()), name="person-detail"
    ),
    path("sources/", public_page(views.SourceListView.as_view()), name="source-list"),
    path("sources/<id:pk>/", public_page(views.SourceDetailView.as_view()), name="source-detail"),
    path("search/", public_page(views.SearchView.as_view()), name="search"),
    path("about/", public_page(pages.AboutView.as_view()), name="about"),
    path("methodology/", public_page(pages.MethodologyView.as_view()), name="methodology"),
    # The index of bulk releases is a page to read; the files it lists are not.
    path("data/", data_views.data_index, name="data"),
]

# One address each, whatever the language of the page that links to them: the feed readers
# subscribed to, the health check, the API and the release files (data, not prose).
unlocalised = [
    # The same feed as /designations/?format=atom, at the address readers subscribed to.
    path(
        "feeds/designations/",
        public_page(views.DesignationListView.as_view(default_format="atom")),
        name="designation-feed",
    ),
    # For crawlers: an index of paged sitemaps (tracker/sitemaps.py), robots.txt naming it.
    path("sitemap.xml", public_page(sitemaps.index), name="sitemap"),
    path("sitemap-<slug:section>.xml", public_page(sitemaps.section), name="sitemap-section"),
    path("robots.txt", public_page(pages.robots_txt), name="robots"),
    path("favicon.ico", pages.FaviconView.as_view(), name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    # The read-only JSON API (tracker/api.py): throttled per address, not page-cached.
    path("api/", include("tracker.api")),
    # Bulk releases: not behind public_page, whose ETag follows the record, not the releases.
    path("data/<str:release>/<str:name>", data_views.data_file, name="data-file"),
]

urlpatterns = [
    *unlocalised,
    *i18n_patterns(*localised, prefix_default_language=False),
]
