"""People, the cases brought against them, the charges and the dated events of each case."""

import re

from django.db import models
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.db.models.signals import post_delete, post_save
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from tracker.choices import CaseStatus, DatePrecision, EventKind, PersonRole

from .base import (
    NAMED_LINK_FIELDS,
    PUBLISHING_PERMISSIONS,
    Alias,
    AliasedMixin,
    CitedModel,
    PartialDatesMixin,
    PublicQuerySet,
    PublishableQuerySet,
    QuickLoad,
    TrackedModel,
    detail_url,
    precision_field,
)
from .laws import LAW_LINK_FIELDS, Law
from .organisations import Organisation

# What a link to a case shows on another record's page: its address, title and status.
CASE_LINK_FIELDS = ("id", "slug", "title", "status")
# A row of the case list: a link, its status, country and latest event.
CASE_LIST_FIELDS = (
    *CASE_LINK_FIELDS,
    "country",
    "latest_event_date",
    "latest_event_date_precision",
)


def _charges_shown():
    """The public charges of cases already known to be public (each use prefetches them for
    published cases), as other pages show them: what the sources say, and the law (named and
    linked), without the columns nobody reads there. The case's own rule is not tested again
    (`part_of_public`), the law's is."""
    return (
        Charge.objects.published(part_of_public=True)
        .select_related("law")
        .only("id", "case_id", "law_id", "description", *(f"law__{n}" for n in LAW_LINK_FIELDS))
    )


class PersonQuerySet(PublishableQuerySet):
    def for_list(self):
        """Published people, each with what a row shows: name, role, country and aliases."""
        return (
            self.published()
            .only(*NAMED_LINK_FIELDS, "role", "country")
            .prefetch_related(Prefetch("aliases", to_attr="public_aliases"))
        )

    def for_detail(self):
        """The person page: aliases and published cases (fixed query count)."""
        return self.published().prefetch_related(
            "aliases",
            Prefetch(
                "cases",
                # Display-only rows: the columns the page shows (a link, a status, charges).
                queryset=Case.objects.published()
                .only(*CASE_LINK_FIELDS)
                .prefetch_related(
                    Prefetch("charges", queryset=_charges_shown(), to_attr="public_charges")
                ),
                to_attr="public_cases",
            ),
        )


class Person(AliasedMixin, CitedModel, TrackedModel):
    """A defendant, lawyer or other person at the centre of a case."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    role = models.CharField(max_length=20, choices=PersonRole.choices, default=PersonRole.DEFENDER)
    country = CountryField(blank=True)
    description = models.TextField(blank=True)

    objects = PersonQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        default_permissions = PUBLISHING_PERMISSIONS
        ordering = ["name", "id"]
        verbose_name_plural = "people"
        indexes = [
            # The public list: published people in name order, read a page at a time.
            models.Index(fields=["state", "name", "id"]),
            # The list filtered by role or by country, in name order (as Organisation's).
            models.Index(fields=["state", "role", "name", "id"], name="person_list_by_role"),
            models.Index(fields=["state", "country", "name", "id"], name="person_list_by_country"),
            models.Index(fields=["role"]),
            models.Index(fields=["country"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return detail_url("tracker:person-detail", self.slug)


class PersonAlias(Alias):
    """Another form of a person's name: a transliteration, a diminutive, a Cyrillic spelling."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")

    part_of = "person"  # public when its person is
    history = HistoricalRecords()

    class Meta(Alias.Meta):
        verbose_name_plural = "person aliases"
        constraints = [
            models.UniqueConstraint(fields=["person", "name"], name="person_alias_unique"),
        ]


class CaseQuerySet(PublishableQuerySet):
    def for_list(self):
        """Published cases with their published people and charges (no N+1), each row with
        the columns the list shows."""
        return (
            self.published()
            .only(*CASE_LIST_FIELDS)
            .prefetch_related(
                Prefetch(
                    "people",
                    queryset=Person.objects.published().only(*NAMED_LINK_FIELDS),
                    to_attr="public_people",
                ),
                Prefetch("charges", queryset=_charges_shown(), to_attr="public_charges"),
            )
        )

    def for_detail(self):
        """Everything the case page shows, in a fixed number of queries."""
        return self.published().prefetch_related(
            Prefetch(
                "people",
                queryset=Person.objects.published().only(*NAMED_LINK_FIELDS),
                to_attr="public_people",
            ),
            Prefetch(
                "organisations",
                queryset=Organisation.objects.published().only(*NAMED_LINK_FIELDS),
                to_attr="public_organisations",
            ),
            Prefetch("charges", queryset=_charges_shown()),
            "events",
        )


class Case(CitedModel, PartialDatesMixin, TrackedModel):
    """A prosecution or other act of repression against people and/or an organisation."""

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.TextField(blank=True)
    people = models.ManyToManyField(Person, related_name="cases", blank=True)
    organisations = models.ManyToManyField(
        Organisation,
        related_name="cases",
        blank=True,
        help_text="Organisations the case is brought against or closely concerns.",
    )
    country = CountryField(blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.UNKNOWN)
    sentence = models.CharField(max_length=300, blank=True, help_text="As the sources state it.")
    court = models.CharField(max_length=200, blank=True)
    # Derived, never edited (see refresh_event_dates and the signals below): the date of the
    # case's latest dated event, so that 100,000 cases can be listed newest first from an
    # index, and of its first, which dates the case in the law page's chart of cases per year
    # (one GROUP BY, where finding each case's first event took two subqueries per case).
    latest_event_date = models.DateField(null=True, blank=True, editable=False)
    latest_event_date_precision = models.CharField(
        max_length=12, choices=DatePrecision.choices, blank=True, editable=False
    )
    first_event_date = models.DateField(null=True, blank=True, editable=False)
    first_event_date_precision = models.CharField(
        max_length=12, choices=DatePrecision.choices, blank=True, editable=False
    )

    objects = CaseQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[people, organisations])

    class Meta:
        default_permissions = PUBLISHING_PERMISSIONS
        ordering = ["title", "id"]
        indexes = [
            # The public list: published cases in title order, read a page at a time.
            models.Index(fields=["state", "title", "id"]),
            # The model's order over cases in every state: the admin's list and its pickers of
            # a case (100,000 cases: a page of the list 68 -> 45 ms, the picker 27 -> 3 ms).
            models.Index(fields=["title", "id"], name="case_by_title"),
            # The home page's cases by status: a GROUP BY read from the index alone.
            models.Index(fields=["state", "status"]),
            models.Index(fields=["status"]),
            models.Index(fields=["country"]),
            # The case list by date (?sort=-date, ?sort=date) reads, on PostgreSQL, one of two
            # indexes with undated cases last both ways (a B-tree read backwards would put them
            # first): (state, latest_event_date DESC NULLS LAST, id DESC) and its ASC twin. SQLite
            # refuses NULLS LAST in an index, so migration 0013 creates them on PostgreSQL only;
            # on SQLite, migration 0017 makes a plain (state, latest_event_date, id) one, which
            # read backwards gives newest first with undated cases last.
        ]

    def __str__(self):
        return self.title

    @classmethod
    def refresh_event_dates(cls, case_ids=None):
        """Recompute the latest and first event dates (and their precisions) of these cases
        (all, if None).

        The latest event is the one the case page lists last: the latest stored date (a month
        or a year counts from its first day), then the highest id; the first, the one it lists
        first. One UPDATE, whatever the number of cases; bulk writes that skip signals
        (fixtures, generators) call it.
        """
        dated = CaseEvent.objects.filter(case=OuterRef("pk"), date__isnull=False)
        values = {}
        for name, order in (("latest", ("-date", "-id")), ("first", ("date", "id"))):
            event = dated.order_by(*order)
            values[f"{name}_event_date"] = Subquery(event.values("date")[:1])
            values[f"{name}_event_date_precision"] = models.functions.Coalesce(
                Subquery(event.values("date_precision")[:1]), models.Value("")
            )
        cases = cls.objects.all() if case_ids is None else cls.objects.filter(pk__in=case_ids)
        return cases.update(**values)

    def get_absolute_url(self):
        return detail_url("tracker:case-detail", self.slug)


class Charge(QuickLoad):
    """One charge in a case: the article or law, and how the sources describe it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="charges")
    law = models.ForeignKey(
        Law,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        help_text="Leave empty when the sources do not name the article.",
    )
    description = models.CharField(max_length=300, blank=True)

    objects = PublicQuerySet.as_manager()

    part_of = "case"  # public when its case is
    shows = ("law",)  # and its law is (when it names one): see models.public
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        indexes = [
            # The published cases charged under each law of /laws/ (Law.objects.case_counts),
            # counted from the index alone.
            models.Index(fields=["law", "case"], name="charge_law_case"),
        ]

    def __str__(self):
        return self.description or str(self.law)

    @property
    def details(self):
        """The description, unless it only repeats the law's title or short title.

        Sources often describe a charge by the article's own name ("anti-Soviet agitation and
        propaganda" under the article of that title); shown after the law, it would read twice.
        A description equal to (or contained in) either title, ignoring case, quotes and
        spacing, says nothing more: it is dropped. The one rule behind every charge shown as
        text: lists, pages, feeds and exports.
        """
        if not self.law_id or self.law is None:
            return self.description
        said = _plain(self.description)
        titles = [_plain(title) for title in (self.law.title, self.law.short_title) if title]
        if not said or any(said in title for title in titles):
            return ""
        return self.description

    @property
    def label(self):
        """The charge as one line of text: the law, then what the description adds."""
        law = str(self.law) if self.law_id and self.law is not None else ""
        details = self.details
        return f"{law} — {details}" if law and details else law or details


QUOTES = re.compile("[\"'\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb]")


def _plain(text):
    """Text compared for sameness: no quotes, one space between words, case folded."""
    return " ".join(QUOTES.sub("", text or "").split()).casefold()


class CaseEvent(CitedModel, PartialDatesMixin, models.Model):
    """A dated step in a case: an arrest, a search, a hearing, a verdict, a release."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    date = models.DateField(null=True, blank=True)
    date_precision = precision_field("event date")
    description = models.TextField()

    objects = PublicQuerySet.as_manager()
    partial_dates = ("date",)

    part_of = "case"  # public when its case is
    history = HistoricalRecords()

    class Meta:
        ordering = [F("date").asc(nulls_last=True), "id"]
        indexes = [
            # The home page's latest events (date descending).
            models.Index(fields=["date", "id"]),
            # The case list's year filter: the cases of a year's events, read from the index
            # alone (with (date, id) each of ~10,000 events a year was read from the table).
            models.Index(fields=["date", "case"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.date_display})"

    def get_absolute_url(self):
        return f"{self.case.get_absolute_url()}#event-{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        """The event as loaded, remembering the case it is stored under: moved to another
        case, both cases' event dates are refreshed (`_event_changed`)."""
        event = super().from_db(db, field_names, values)
        event._stored_case_id = event.__dict__.get("case_id")
        return event

    @property
    def date_display(self):
        return self.partial_date("date")


def _event_changed(sender, instance, raw=False, **kwargs):
    """Keep the case's event dates in step with its events (one UPDATE)."""
    if raw:  # loaddata: the case may not be loaded yet; load_seed refreshes them all after
        return
    cases = {instance.case_id, getattr(instance, "_stored_case_id", None)} - {None}
    Case.refresh_event_dates(cases)
    instance._stored_case_id = instance.case_id  # moved again, this case is the one left


post_save.connect(_event_changed, sender=CaseEvent, dispatch_uid="case_latest_event_saved")
post_delete.connect(_event_changed, sender=CaseEvent, dispatch_uid="case_latest_event_deleted")
