"""The editors' interface: every record editable, citations inline, drafts by default."""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db import models
from django.utils.html import format_html

from tracker.choices import State
from tracker.models import (
    Case,
    CaseEvent,
    Charge,
    Citation,
    Designation,
    Law,
    LawAlias,
    LawAmendment,
    Organisation,
    OrganisationAlias,
    Penalty,
    Person,
    PersonAlias,
    Source,
)

admin.site.site_header = "Repression Tracker — editors"
admin.site.site_title = "Repression Tracker admin"
admin.site.index_title = "The record"


# Editors paste addresses without a scheme; assume HTTPS rather than HTTP.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class CitationInline(GenericTabularInline):
    model = Citation
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "quote", "note", "conflicting"]
    verbose_name = "source citation"


class PublicationActionsMixin:
    """Publish / unpublish actions and the publication column for TrackedModel admins."""

    actions = ["publish", "unpublish"]

    @admin.action(description="Publish the selected records")
    def publish(self, request, queryset):
        count = queryset.set_state(State.PUBLISHED)
        self.message_user(request, f"{count} record(s) published.", messages.SUCCESS)

    @admin.action(description="Return the selected records to draft")
    def unpublish(self, request, queryset):
        count = queryset.set_state(State.DRAFT)
        self.message_user(request, f"{count} record(s) returned to draft.", messages.SUCCESS)


class OrganisationAliasInline(admin.TabularInline):
    model = OrganisationAlias
    extra = 1


class DesignationInline(admin.StackedInline):
    model = Designation
    extra = 0
    autocomplete_fields = ["law"]
    show_change_link = True
    # Every date is here, so that the date rules can be checked against each other.
    fields = [
        ("kind", "law", "authority", "state"),
        ("decision_date", "decision_date_precision"),
        ("register_date", "register_date_precision"),
        ("revoked_date", "revoked_date_precision"),
    ]


@admin.register(Organisation)
class OrganisationAdmin(PublicationActionsMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "country", "state", "updated_at"]
    list_filter = ["state", "kind", "country"]
    search_fields = ["name", "short_name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OrganisationAliasInline, DesignationInline, CitationInline]
    formfield_overrides = URL_FIELDS
    save_on_top = True


@admin.register(Designation)
class DesignationAdmin(PublicationActionsMixin, admin.ModelAdmin):
    list_display = [
        "organisation",
        "kind",
        "law",
        "authority",
        "decision_date",
        "register_date",
        "state",
    ]
    list_filter = ["state", "kind", "law"]
    list_select_related = ["organisation", "law"]
    search_fields = ["organisation__name", "organisation__aliases__name", "authority"]
    autocomplete_fields = ["organisation", "law"]
    date_hierarchy = "decision_date"
    inlines = [CitationInline]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["organisation", "kind", "law", "authority", "state"]}),
        (
            "Dates",
            {
                "fields": [
                    ("decision_date", "decision_date_precision"),
                    ("register_date", "register_date_precision"),
                ]
            },
        ),
        ("Stated reasons", {"fields": ["stated_reasons"]}),
        (
            "Revocation",
            {
                "classes": ["collapse"],
                "fields": [("revoked_date", "revoked_date_precision"), "revocation_note"],
            },
        ),
    ]


class LawAliasInline(admin.TabularInline):
    model = LawAlias
    extra = 1


class LawAmendmentInline(admin.StackedInline):
    model = LawAmendment
    extra = 0


class PenaltyInline(admin.TabularInline):
    model = Penalty
    extra = 0


@admin.register(Law)
class LawAdmin(PublicationActionsMixin, admin.ModelAdmin):
    list_display = ["title", "short_title", "number", "kind", "jurisdiction", "state"]
    list_filter = ["state", "kind", "jurisdiction"]
    search_fields = ["title", "short_title", "number", "aliases__name"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LawAliasInline, LawAmendmentInline, PenaltyInline, CitationInline]


@admin.register(LawAmendment)
class LawAmendmentAdmin(admin.ModelAdmin):
    """Amendments have their own page so that each can carry its citations."""

    list_display = ["law", "date", "summary"]
    list_select_related = ["law"]
    autocomplete_fields = ["law"]
    search_fields = ["law__title", "summary"]
    inlines = [CitationInline]


@admin.register(Penalty)
class PenaltyAdmin(admin.ModelAdmin):
    """Penalties have their own page so that each claim can carry its source."""

    list_display = ["law", "kind", "applies_to", "max_fine", "currency", "max_prison_months"]
    list_filter = ["kind"]
    list_select_related = ["law"]
    autocomplete_fields = ["law"]
    search_fields = ["law__title", "applies_to"]
    inlines = [CitationInline]


class PersonAliasInline(admin.TabularInline):
    model = PersonAlias
    extra = 1


@admin.register(Person)
class PersonAdmin(PublicationActionsMixin, admin.ModelAdmin):
    list_display = ["name", "role", "country", "state", "updated_at"]
    list_filter = ["state", "role", "country"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PersonAliasInline, CitationInline]


class ChargeInline(admin.TabularInline):
    model = Charge
    extra = 1
    autocomplete_fields = ["law"]


class CaseEventInline(admin.StackedInline):
    model = CaseEvent
    extra = 0
    fields = [("kind", "date", "date_precision"), "description"]
    show_change_link = True


@admin.register(Case)
class CaseAdmin(PublicationActionsMixin, admin.ModelAdmin):
    list_display = ["title", "status", "country", "state", "updated_at"]
    list_filter = ["state", "status", "country"]
    search_fields = ["title", "summary", "people__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["people", "organisations"]
    inlines = [ChargeInline, CaseEventInline, CitationInline]
    save_on_top = True


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    """Case events have their own page so that each can carry its citations."""

    list_display = ["case", "kind", "date", "date_precision"]
    list_filter = ["kind"]
    list_select_related = ["case"]
    autocomplete_fields = ["case"]
    search_fields = ["case__title", "description"]
    inlines = [CitationInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "published_date", "kind", "reliability", "link"]
    list_filter = ["kind", "reliability", "language"]
    search_fields = ["title", "url", "publisher", "author"]
    formfield_overrides = URL_FIELDS

    @admin.display(description="URL")
    def link(self, obj):
        if not obj.url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer">open</a>', obj.url)


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["source", "content_type", "object_id", "conflicting"]
    list_filter = ["content_type", "conflicting"]
    list_select_related = ["source", "content_type"]
    autocomplete_fields = ["source"]
    search_fields = ["source__title", "quote", "note"]
