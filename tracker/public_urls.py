"""The public URL contract from DESIGN.md. Keep these paths stable: people cite them."""

from django.urls import path, register_converter

from tracker import views


class IdConverter:
    """A database id: digits only, short enough never to overflow a 64-bit integer."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "tracker"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path(
        "organisations/<slug:slug>/",
        views.OrganisationDetailView.as_view(),
        name="organisation-detail",
    ),
    path("laws/", views.LawListView.as_view(), name="law-list"),
    path("laws/<slug:slug>/", views.LawDetailView.as_view(), name="law-detail"),
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    path("cases/<slug:slug>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/<slug:slug>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<id:pk>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("feeds/designations/", views.DesignationFeed(), name="designation-feed"),
    path("healthz", views.healthz, name="healthz"),
]
