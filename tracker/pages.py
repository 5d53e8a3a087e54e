"""Pages that explain the record and help machines find it: /about/, /methodology/,
/robots.txt and /favicon.ico. (The sitemap is tracker/sitemaps.py.)"""

import datetime

from django.conf import settings
from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.generic import RedirectView, TemplateView

from tracker import bulk
from tracker.choices import DatePrecision, DesignationKind, Reliability
from tracker.models.base import format_partial_date, partial_date_iso

# One example date per precision, as the sources might give it; shown through the same code
# that shows every date on the site.
DATE_EXAMPLES = {
    DatePrecision.DAY: datetime.date(2025, 3, 14),
    DatePrecision.MONTH: datetime.date(2025, 3, 1),
    DatePrecision.YEAR: datetime.date(2014, 1, 1),
    DatePrecision.APPROXIMATE: datetime.date(2024, 1, 1),
}


def date_examples():
    """(precision label, text shown, `<time datetime>`) for every DatePrecision."""
    return [
        (
            precision.label,
            format_partial_date(DATE_EXAMPLES[precision], precision),
            partial_date_iso(DATE_EXAMPLES[precision], precision),
        )
        for precision in DatePrecision
    ]


class ExplainerView(TemplateView):
    """A page of prose about the record; what it states comes from the code, not a copy."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            licence_id=bulk.LICENCE_ID,
            licence_url=bulk.LICENCE_URL,
            licence_text=bulk.LICENCE_TEXT,
            reliability_grades=Reliability.choices,
            designation_kinds=DesignationKind.choices,
            date_examples=date_examples(),
            corrections_email=settings.CORRECTIONS_EMAIL,
            time_zone=settings.TIME_ZONE,
        )
        return context


class AboutView(ExplainerView):
    template_name = "tracker/about.html"


class MethodologyView(ExplainerView):
    template_name = "tracker/methodology.html"


# Query strings that only re-shape a list (exports, feeds): crawling them adds nothing to the
# pages themselves. RFC 9309 matches "*" anywhere in a path; the major crawlers follow it.
ROBOTS_DISALLOW_QUERIES = ("/*?*format=",)


DEFAULT_ADMIN_PATH = "admin/"


def robots_txt(request):
    """Crawl the public site; keep out of the admin, the API's POST endpoint and export variants.

    The admin is named only at its default address: robots.txt is public, and an admin moved
    to a private path (ADMIN_PATH) must not be published here (nothing links to it anyway).
    """
    admin = (
        [f"Disallow: /{DEFAULT_ADMIN_PATH}"] if settings.ADMIN_PATH == DEFAULT_ADMIN_PATH else []
    )
    lines = [
        "User-agent: *",
        "Allow: /",
        *admin,
        f"Disallow: {reverse('tracker:api-match')}",
        *(f"Disallow: {pattern}" for pattern in ROBOTS_DISALLOW_QUERIES),
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('tracker:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says; send them to the SVG icon."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")
