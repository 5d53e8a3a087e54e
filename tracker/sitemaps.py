"""/sitemap.xml: an index of paged sitemaps of the public site (django.contrib.sitemaps).

One section for the site's own pages (home, every list, about, methodology) and one for each
kind of record that has a page of its own (a `<model>-detail` URL name). Records come only from
`.published()`; each page of a section is one COUNT and one bounded SELECT of `limit` rows,
whatever the size of the record, and the index is one COUNT and one MAX per section.
"""

from django.contrib import sitemaps
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max
from django.urls import get_resolver, reverse

from tracker.models.public import public_models

# URLs per sitemap page: a page stays well under the page cache's limit (tracker.caching).
PAGE_SIZE = 5000
# The site's own pages besides the lists (which are found by their "-list" URL names).
PAGES = ("home", "about", "methodology")


def tracker_url_names():
    _, resolver = get_resolver().namespace_dict["tracker"]
    return {name for name in resolver.reverse_dict if isinstance(name, str)}


class PagesSitemap(sitemaps.Sitemap):
    """Home, every public list, /about/ and /methodology/."""

    limit = PAGE_SIZE

    def items(self):
        names = tracker_url_names()
        lists = sorted(name for name in names if name.endswith("-list"))
        return [name for name in PAGES if name in names] + lists

    def location(self, item):
        return reverse(f"tracker:{item}")


class RecordSitemap(sitemaps.Sitemap):
    """Every published record of one model, oldest first (pages do not shift as records are
    added), with when it last changed."""

    limit = PAGE_SIZE

    def __init__(self, model):
        self.model = model

    def items(self):
        fields = ["pk", "updated_at"]
        if any(field.name == "slug" for field in self.model._meta.fields):
            fields.append("slug")
        return self.model.objects.published().only(*fields).order_by("pk")

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        # One aggregate, where Django's default would load every record to find it.
        return self.model.objects.published().aggregate(latest=Max("updated_at"))["latest"]


def sections():
    """{section name: sitemap}: the pages, then each kind of record with a page of its own."""
    names = tracker_url_names()
    result = {"pages": PagesSitemap()}
    for model in public_models():
        name = model._meta.model_name
        if f"{name}-detail" in names:
            result[str(model._meta.verbose_name_plural).replace(" ", "-")] = RecordSitemap(model)
    return result


def index(request):
    return sitemap_views.index(request, sections(), sitemap_url_name="tracker:sitemap-section")


def section(request, section):
    return sitemap_views.sitemap(request, sections(), section=section)
