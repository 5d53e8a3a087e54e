"""Organisations and the designations ("undesirable", "foreign agent"…) made against them."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from tracker.choices import DesignationKind, OrganisationKind

from .base import (
    NAMED_LINK_FIELDS,
    PUBLISHING_PERMISSIONS,
    Alias,
    AliasedMixin,
    CitedModel,
    PartialDatesMixin,
    PublishableQuerySet,
    TrackedModel,
    date_not_before,
    detail_url,
    precision_field,
    web_address,
    web_address_only,
)
from .laws import LAW_LINK_FIELDS, Law

# A designation shown as a mark in a row: its kind and date, linked to its organisation's page.
DESIGNATION_MARK_FIELDS = (
    "id",
    "organisation_id",
    "kind",
    "decision_date",
    "decision_date_precision",
    "register_date",
    "register_date_precision",
)
# A row of the organisation list: a link, its short name, kind and headquarters (not the
# description, which no row shows).
ORGANISATION_LIST_FIELDS = (*NAMED_LINK_FIELDS, "short_name", "kind", "country")


def designation_date():
    """A designation's date as the site shows, sorts, counts and announces it: its decision's,
    or its entry in the register's when the decision is undated (`Designation.date_display`).
    The list's indexes are on it: `designation_list_by_date` (0019, widened by 0024) and
    `designation_list_by_kind` (0024)."""
    return Coalesce("decision_date", "register_date", output_field=models.DateField())


class OrganisationQuerySet(PublishableQuerySet):
    def for_list(self):
        """Published organisations with their aliases and public designations (no N+1):
        of each designation, what a row shows (its kind, date and evidence)."""
        return (
            self.published()
            .only(*ORGANISATION_LIST_FIELDS)
            .prefetch_related(
                Prefetch("aliases", to_attr="public_aliases"),
                Prefetch(
                    "designations",
                    queryset=Designation.objects.published_with_evidence().only(
                        *DESIGNATION_MARK_FIELDS
                    ),
                    to_attr="public_designations",
                ),
            )
        )

    def for_detail(self):
        """Everything the organisation page shows, in a fixed number of queries."""
        from .cases import CASE_LINK_FIELDS, Case

        return self.published().prefetch_related(
            "aliases",
            Prefetch(
                "designations",
                queryset=Designation.objects.published().select_related("law"),
                to_attr="public_designations",
            ),
            Prefetch(
                "cases",
                queryset=Case.objects.published().only(*CASE_LINK_FIELDS).order_by("title"),
                to_attr="public_cases",
            ),
        )


class Organisation(AliasedMixin, CitedModel, TrackedModel):
    """An organisation targeted by the state: an NGO, a media outlet, a foundation…"""

    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    short_name = models.CharField(
        max_length=60, blank=True, help_text="Acronym or short form, e.g. FIDH, HRW."
    )
    kind = models.CharField(
        max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.NGO
    )
    country = CountryField(
        "country of headquarters",
        blank=True,
        help_text="Leave empty unless a source states it.",
    )
    website = models.URLField(max_length=500, blank=True, validators=[web_address])
    description = models.TextField(blank=True)

    objects = OrganisationQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        default_permissions = PUBLISHING_PERMISSIONS
        ordering = ["name", "id"]
        indexes = [
            # The public list: published organisations in name order, a page at a time.
            models.Index(fields=["state", "name", "id"]),
            # The list filtered by kind or by country, in name order: the page read from the
            # filter's rows alone, not found by testing every published organisation in turn.
            models.Index(fields=["state", "kind", "name", "id"], name="organisation_list_by_kind"),
            models.Index(
                fields=["state", "country", "name", "id"], name="organisation_list_by_country"
            ),
            models.Index(fields=["kind"]),
            models.Index(fields=["country"]),
        ]
        constraints = [web_address_only("website")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return detail_url("tracker:organisation-detail", self.slug)


class OrganisationAlias(Alias):
    """Another name an organisation is known by: acronym, spelling, Cyrillic name."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="aliases")

    part_of = "organisation"  # public when its organisation is
    history = HistoricalRecords()

    class Meta(Alias.Meta):
        verbose_name_plural = "organisation aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="organisation_alias_unique"
            ),
        ]


class DesignationQuerySet(PublishableQuerySet):
    def for_list(self):
        """Published designations with their organisation (named and linked) and law (named
        and linked): the columns the list shows. Their evidence marks are read for the rows
        shown only (`mark_evidence()`)."""
        return (
            self.published()
            .select_related("organisation", "law")
            .only(
                *DESIGNATION_MARK_FIELDS,
                "law_id",
                "authority",
                "revoked_date",
                "revoked_date_precision",
                *(f"organisation__{name}" for name in NAMED_LINK_FIELDS),
                *(f"law__{name}" for name in LAW_LINK_FIELDS),
            )
        )

    def newest_first(self):
        """Newest first by `designation_date()`, undated last, then by id (newest first too):
        the designation list's default order, read from its index."""
        return self.order_by(designation_date().desc(nulls_last=True), F("id").desc())

    def unpublishable(self):
        """Designations that cite no source yet."""
        from .sources import Citation

        cited = Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(Designation), object_id=OuterRef("pk")
        )
        return self.exclude(Exists(cited)).select_related("organisation")


class Designation(CitedModel, PartialDatesMixin, TrackedModel):
    """An organisation declared "undesirable", a "foreign agent" etc. under a law."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="designations"
    )
    kind = models.CharField(
        "designation", max_length=20, choices=DesignationKind.choices, db_index=True
    )
    law = models.ForeignKey(
        Law,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="designations",
        help_text="Leave empty only when no source names the law.",
    )
    authority = models.CharField(
        "deciding authority",
        max_length=200,
        blank=True,
        help_text="Who decided, e.g. Prosecutor General's Office. If sources disagree, give the "
        "best-supported one here and cite the other as conflicting.",
    )
    decision_date = models.DateField(null=True, blank=True, db_index=True)
    decision_date_precision = precision_field("decision date")
    register_date = models.DateField("date entered in the register", null=True, blank=True)
    register_date_precision = precision_field("register date")
    stated_reasons = models.TextField(
        blank=True, help_text="The authority's stated reasons, quoted word for word."
    )
    revoked_date = models.DateField(null=True, blank=True)
    revoked_date_precision = precision_field("revocation date")
    revocation_note = models.TextField(blank=True)

    objects = DesignationQuerySet.as_manager()
    # Public only with its organisation and its law (when it names one): see models.public.
    shows = ("organisation", "law")
    partial_dates = ("decision_date", "register_date", "revoked_date")
    unpublishable_reason = "A designation must cite at least one source before it is published."

    history = HistoricalRecords()

    class Meta:
        default_permissions = PUBLISHING_PERMISSIONS
        ordering = [F("decision_date").desc(nulls_last=True), "-id"]
        constraints = [
            # A register lists a decision after it is taken, never before.
            date_not_before(
                "register_date",
                "decision_date",
                "The register date cannot be before the decision date.",
            ),
            date_not_before(
                "revoked_date",
                "decision_date",
                "A designation cannot be revoked before it was decided.",
            ),
            # The same decision must not be entered twice.
            models.UniqueConstraint(
                fields=["organisation", "kind", "law", "decision_date"],
                name="designation_unique_per_decision",
                violation_error_message="This organisation already has this designation under "
                "this law on this date.",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} — {self.get_kind_display()}"

    def get_absolute_url(self):
        return f"{self.organisation.get_absolute_url()}#designation-{self.pk}"

    def partial_date_parts(self, name):
        """ "date" is the decision date, or the register date when only that is known."""
        if name == "date":
            if self.decision_date is None and self.register_date is not None:
                return self.register_date, self.register_date_precision, gettext("registered")
            name = "decision_date"
        return super().partial_date_parts(name)

    @property
    def date_display(self):
        return self.partial_date("date")

    @property
    def decision_display(self):
        return self.partial_date("decision_date")

    @property
    def revoked_display(self):
        return self.partial_date("revoked_date")
