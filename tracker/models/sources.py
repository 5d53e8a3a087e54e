"""Sources and the citations that tie every fact to one."""

import re
from urllib.parse import urlsplit, urlunsplit

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from tracker.choices import Reliability, SourceKind

from .base import (
    PUBLISHING_PERMISSIONS,
    PartialDatesMixin,
    PublicQuerySet,
    PublishableQuerySet,
    QuickLoad,
    TrackedModel,
    detail_url,
    precision_field,
    web_address,
    web_address_only,
)

# Query parameters that only say where a reader came from, never which document it is.
TRACKING_PARAMETER = re.compile(r"^(utm_[a-z]+|fbclid|gclid|yclid|mc_cid|mc_eid|ref_src)$", re.I)
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url):
    """The address as stored: lower-case scheme and host, no default port, no credentials,
    no fragment and no tracking parameters; the rest of the path and query kept verbatim."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a port number: leave it for the URL validator to reject
        return url
    if port and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not TRACKING_PARAMETER.match(pair.split("=", 1)[0])
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def url_key(url):
    """What makes two addresses the same document: the normalised URL without its scheme,
    a leading "www." or a trailing slash ("" for no URL)."""
    url = normalise_url(url)
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    key = f"{host}{parts.path.rstrip('/')}"
    return f"{key}?{parts.query}" if parts.query else key


SOURCE_ORDER = [models.F("published_date").desc(nulls_last=True), "title", "id"]


# A row of the source list: what the document is (title, publisher, date, kind, grade).
SOURCE_LIST_FIELDS = (
    "id",
    "title",
    "publisher",
    "published_date",
    "published_date_precision",
    "kind",
    "reliability",
)


class SourceQuerySet(PublishableQuerySet):
    def for_list(self):
        """Public sources, with the columns of the list (their numbers of public citations are
        counted for the rows of a page at once: `citation_counts`)."""
        return self.published().only(*SOURCE_LIST_FIELDS)

    def citation_counts(self, source_ids):
        """{source id: number of its public citations} for `source_ids`, in one grouped query
        (sources without one are left out)."""
        rows = (
            Citation.objects.published()
            .filter(source__in=source_ids)
            .order_by()
            .values("source")
            .annotate(n=models.Count("pk"))
            .values_list("source", "n")
        )
        return dict(rows)


class Source(PartialDatesMixin, TrackedModel):
    """A document a fact rests on: a news report, an NGO statement, a register entry.

    Public while a public record cites it, or when a publisher has published it on its own
    (`public_when_cited`, see tracker.models.public): what editors gather for drafts stays
    private until the record citing it is published.
    """

    title = models.CharField(max_length=500)
    url = models.URLField(
        "URL",
        max_length=1000,
        blank=True,
        validators=[web_address],
        help_text="Leave empty for a document with no address (e.g. a printed or forwarded text). "
        "Tracking parameters (utm_…) and the #fragment are removed.",
    )
    # url_key(url): the same document under http/https, www. or a trailing slash.
    url_key = models.CharField(max_length=1000, blank=True, editable=False)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_date = models.DateField(null=True, blank=True)
    published_date_precision = precision_field("publication date")
    language = models.CharField(
        max_length=8, default="en", help_text="ISO 639-1 code of the text, e.g. en, ru."
    )
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.NEWS)
    reliability = models.CharField(
        max_length=20,
        choices=Reliability.choices,
        default=Reliability.UNVERIFIED,
        help_text="Unverified when there is no author, no publisher, or quotes cannot be checked.",
    )
    reliability_note = models.TextField(
        blank=True, help_text="Why this grade: what can and cannot be checked about the source."
    )
    summary = models.TextField(blank=True)

    objects = SourceQuerySet.as_manager()
    partial_dates = ("published_date",)
    public_when_cited = True

    history = HistoricalRecords()

    class Meta:
        default_permissions = PUBLISHING_PERMISSIONS
        ordering = SOURCE_ORDER
        constraints = [
            # The same document must not be entered twice; many sources have no URL.
            models.UniqueConstraint(
                fields=["url_key"],
                condition=~Q(url_key=""),
                name="source_url_key_unique_when_present",
                violation_error_message="This document is already recorded as a source.",
            ),
            web_address_only("url"),
        ]
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["reliability"]),
            # The public list walks sources in its order and stops at a page of public ones,
            # instead of testing every source before sorting them (SQLite puts NULLs last in
            # a descending index, as the order asks). The state and the filters' columns
            # follow, so that the rows before a late page are tested from the index alone
            # (migration 0024).
            models.Index(
                F("published_date").desc(),
                *("title", "id", "state", "kind", "reliability"),
                name="source_list_order",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.url = normalise_url(self.url)
        self.url_key = url_key(self.url)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return detail_url("tracker:source-detail", self.pk)

    def clean(self):
        super().clean()
        self.url = normalise_url(self.url)
        self.url_key = url_key(self.url)
        if self.url_key:
            same = Source.objects.filter(url_key=self.url_key).exclude(pk=self.pk).first()
            if same is not None:
                raise ValidationError(
                    {"url": f"This document is already recorded as source #{same.pk}: {same}."}
                )

    @property
    def is_unverified(self):
        return self.reliability == Reliability.UNVERIFIED

    @property
    def reliability_meaning(self):
        """What the grade means, in words."""
        from .evidence import GRADE_MEANINGS

        return GRADE_MEANINGS.get(self.reliability, "")


class Citation(QuickLoad):
    """Ties one fact (an organisation, designation, law, case, event…) to a Source."""

    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,  # a cited source is never deleted
        related_name="citations",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    quote = models.TextField(blank=True, help_text="The passage of the source, word for word.")
    note = models.TextField(
        blank=True, help_text="What this source adds, or how its account differs from the record."
    )
    conflicting = models.BooleanField(
        default=False,
        help_text="Tick when this source's account disagrees with the record or another source.",
    )

    objects = PublicQuerySet.as_manager()

    part_of = "content_object"  # public when its cited record is
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        indexes = [
            # Every public page loads the citations of one object.
            models.Index(fields=["content_type", "object_id"]),
        ]

    def __str__(self):
        # Names what cites the source (e.g. on the page that refuses to delete it); costs
        # up to three queries unless source, content_type and content_object are loaded.
        cited = self.content_object or f"#{self.object_id}"
        return f"{self.source} → {self.content_type.name}: {cited}"
