"""Laws and code articles used against civil society, with amendments and penalties."""

from django.db import models
from django.db.models import Count, Q
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from tracker.choices import LawKind, PenaltyKind

from .base import (
    PUBLISHING_PERMISSIONS,
    Alias,
    AliasedMixin,
    CitedModel,
    PartialDatesMixin,
    PublicQuerySet,
    PublishableQuerySet,
    TrackedModel,
    detail_url,
    precision_field,
)


class LawQuerySet(PublishableQuerySet):
    def for_list(self):
        """Published laws; the designations and cases under the laws of a page are counted
        for them at once (`designation_counts`, `case_counts`)."""
        return self.published()

    def designation_counts(self, law_ids):
        """{law id: number of public designations under it} for `law_ids`, in one grouped
        query (laws without one are left out)."""
        from .organisations import Designation

        rows = (
            Designation.objects.published()
            .filter(law__in=law_ids)
            .order_by()
            .values("law")
            .annotate(n=Count("pk"))
            .values_list("law", "n")
        )
        return dict(rows)

    def case_counts(self, law_ids):
        """{law id: number of published cases charged under it} for `law_ids`, in one grouped
        query (laws without a published case are left out). Counted from the laws' charges
        (their index), less the charges of cases the public may not see, read once as a list:
        testing each charge's case by primary key cost about three times more (at 100,000
        cases a page of laws has about 24,000 charges; 41 ms against 14 on SQLite), and a
        correlated count per law several times more again."""
        from .cases import Case, Charge
        from .public import PublicRule

        # NOT (rule): the rule is made of EXISTS and comparisons of columns that are never
        # NULL, so it is never NULL, and a case it does not admit is one of these.
        hidden_cases = Case.objects.exclude(PublicRule(Case)).values("pk")
        rows = (
            Charge.objects.filter(law__in=law_ids)
            .exclude(case__in=hidden_cases)
            .order_by()
            .values("law")
            .annotate(n=Count("case", distinct=True))
            .values_list("law", "n")
        )
        return dict(rows)

    def for_detail(self):
        """Everything the law page shows, loaded in a fixed number of queries (no N+1)."""
        return self.published().prefetch_related("aliases", "amendments", "penalties")


# What a link to a law reads: its address and its titles (shown short when it has a short one).
LAW_LINK_FIELDS = ("id", "slug", "title", "short_title")


class Law(AliasedMixin, CitedModel, PartialDatesMixin, TrackedModel):
    """A statute or code article that the state uses against organisations or people."""

    title = models.CharField(max_length=300)
    short_title = models.CharField(
        max_length=120,
        blank=True,
        help_text='The name people use, e.g. "undesirable organisations law".',
    )
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=LawKind.choices, default=LawKind.LAW)
    jurisdiction = CountryField(blank=True)
    number = models.CharField(
        "official number",
        max_length=60,
        blank=True,
        help_text="As officially cited, e.g. 275.1 for a Criminal Code article. Leave empty if no "
        "source gives it.",
    )
    adopted_date = models.DateField("date adopted", null=True, blank=True)
    adopted_date_precision = precision_field("adoption date")
    # A treaty is opened for signature by a body that adopted it earlier; sources often give
    # only the opening, which must not be shown as the adoption.
    signature_date = models.DateField(
        "date opened for signature",
        null=True,
        blank=True,
        help_text="For a treaty or convention: when it was opened for signature.",
    )
    signature_date_precision = precision_field("signature date")
    summary = models.TextField(blank=True)

    objects = LawQuerySet.as_manager()
    partial_dates = ("adopted_date", "signature_date")

    history = HistoricalRecords()

    class Meta:
        default_permissions = PUBLISHING_PERMISSIONS
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["state", "title", "id"])]

    def __str__(self):
        return self.short_title or self.title

    def get_absolute_url(self):
        return detail_url("tracker:law-detail", self.slug)


class LawAlias(Alias):
    """Another name of a law: its name in the original language, a nickname, an old title."""

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="aliases")

    part_of = "law"  # public when its law is
    history = HistoricalRecords()

    class Meta(Alias.Meta):
        verbose_name_plural = "law aliases"
        constraints = [
            models.UniqueConstraint(fields=["law", "name"], name="law_alias_unique"),
        ]


class LawAmendment(CitedModel, PartialDatesMixin, models.Model):
    """A change to a law: when it was made and what it changed."""

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="amendments")
    date = models.DateField(null=True, blank=True)
    date_precision = precision_field("amendment date")
    summary = models.TextField(help_text="What the amendment changed.")

    objects = PublicQuerySet.as_manager()
    partial_dates = ("date",)

    part_of = "law"  # public when its law is
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.law}: amendment of {self.partial_date('date')}"

    def get_absolute_url(self):
        return f"{self.law.get_absolute_url()}#amendment-{self.pk}"

    @property
    def date_display(self):
        return self.partial_date("date")


class Penalty(CitedModel, models.Model):
    """A punishment a law provides, as one source states it (sources may disagree)."""

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="penalties")
    kind = models.CharField(max_length=20, choices=PenaltyKind.choices)
    applies_to = models.CharField(
        max_length=300, help_text='Who or what is punished, e.g. "participation in the activities".'
    )
    max_fine = models.PositiveBigIntegerField("maximum fine", null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, e.g. RUB.")
    max_prison_months = models.PositiveSmallIntegerField(
        "maximum prison term (months)", null=True, blank=True
    )
    note = models.TextField(blank=True)

    objects = PublicQuerySet.as_manager()

    part_of = "law"  # public when its law is
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "max_prison_months", "id"]
        verbose_name_plural = "penalties"
        constraints = [
            # A penalty says something: a fine, a prison term, or at least a note.
            models.CheckConstraint(
                condition=Q(max_fine__isnull=False)
                | Q(max_prison_months__isnull=False)
                | ~Q(note=""),
                name="penalty_states_something",
                violation_error_message="Give a maximum fine, a maximum prison term or a note.",
            ),
            models.CheckConstraint(
                condition=Q(max_fine__isnull=True) | ~Q(currency=""),
                name="penalty_fine_has_currency",
                violation_error_message="A fine needs its currency.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} penalty: {self.applies_to}"

    def get_absolute_url(self):
        return f"{self.law.get_absolute_url()}#penalty-{self.pk}"

    @property
    def prison_display(self):
        months = self.max_prison_months
        if months is None:
            return ""
        years, rest = divmod(months, 12)
        if not rest:
            return f"{years} year{'s' if years != 1 else ''}"
        if not years:
            return f"{rest} month{'s' if rest != 1 else ''}"
        return f"{years} years {rest} months"
