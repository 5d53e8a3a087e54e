"""The editors' interface: every record editable, citations inline, drafts by default.

Roles (tracker.roles): Editors add and change records, save drafts and send them to
review; Publishers also publish, withdraw and delete public records. Every model keeps
its history (django-simple-history): the "History" button lists each change with what
changed, and any earlier version can be restored from there.
"""

import functools

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, router, transaction
from django.forms import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django_countries.fields import CountryField
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin

from tracker.choices import State
from tracker.concurrency import (
    LIST_CHANGED,
    LIST_NOT_DATED,
    RECORD_DELETED,
    ConcurrencyForm,
    ConcurrencyFormSetMixin,
    ListActionForm,
    deletion,
    hold_changed,
    list_loaded_at,
    with_latest_history,
    with_token,
)
from tracker.filters import CachedOptionsSelect
from tracker.imports import (
    DesignationConfirmForm,
    DesignationImportForm,
    DesignationResource,
    preview_digest,
)
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
from tracker.models.base import is_web_address, needs_publish_permission
from tracker.models.public import is_public, is_public_model, public_without
from tracker.roles import can_publish, publication_owner, was_public

# Editors paste addresses without a scheme; assume HTTPS rather than HTTP.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}

PUBLISH_REFUSED = (
    "Only a publisher can publish a record or take a published one off the site: "
    "send it to review instead."
)
HIDE_REFUSED = (
    "This change would take {record} off the public site (it would no longer be shown with "
    "what it belongs to or names). Only a publisher can do that: send it to review instead."
)
SOURCE_HIDE_REFUSED = (
    "This change would take the source “{source}” off the public site (no published record "
    "would cite it any more). Only a publisher can do that."
)
DELETE_REFUSED = "{record} is or was public: only a publisher can delete it."


def may_delete(user, record):
    """Editors delete only what was never public; publishers delete anything."""
    if not was_public(record):
        return True
    return can_publish(user, type(publication_owner(record)))


class RecordForm(ConcurrencyForm):
    """Any admin form: refuses, to a user without the publish permission, a change that takes
    a public record off the site by any path other than its state (a foreign key pointed at
    an unpublished record, a revert, a citation moved to another source). Saves only over the
    version of the record its editor opened (ConcurrencyForm)."""

    user = None  # set per request by the admin's get_form / get_formset

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values
        if self.user is not None and self.instance.pk is not None and "state" not in self.errors:
            self.refuse_hiding()

    def refuse_hiding(self):
        model = type(self.instance)
        if not is_public_model(model):
            return
        stored = model._default_manager.filter(pk=self.instance.pk).first()
        if stored is None:
            return
        owner = publication_owner(stored)
        may_hide = owner is not None and can_publish(self.user, type(owner))
        if not may_hide and is_public(stored) and not is_public(self.instance):
            self.add_error(None, HIDE_REFUSED.format(record=stored))
        for field in model._meta.concrete_fields:
            related = field.related_model
            if not getattr(related, "public_when_cited", False) or can_publish(self.user, related):
                continue
            old = getattr(stored, field.attname)
            if old is not None and old != getattr(self.instance, field.attname):
                source = related.objects.get(pk=old)
                if not public_without(source, stored):
                    self.add_error(None, SOURCE_HIDE_REFUSED.format(source=source))


class PublishingForm(RecordForm):
    """Refuses a move into or out of "published" by a user without the publish permission."""

    # The state in the database, when the instance may differ from it (a revert form holds
    # an earlier version); set by PublishingAdmin.get_form.
    stored_state = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial_state = self.stored_state or self.instance.state

    def clean(self):
        cleaned_data = super().clean()
        state = cleaned_data.get("state")
        moving = state and needs_publish_permission(self.initial_state, state)
        if moving and not can_publish(self.user, self._meta.model):
            self.add_error("state", PUBLISH_REFUSED)
        return cleaned_data


class GuardedDeletionMixin:
    """A formset that refuses to delete rows that are public, unless the user may."""

    user = None

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            record = form.instance
            if record.pk and not may_delete(self.user, record):
                raise ValidationError(DELETE_REFUSED.format(record=record))


class GuardedInlineFormSet(ConcurrencyFormSetMixin, GuardedDeletionMixin, BaseInlineFormSet):
    pass


class CitationFormSet(ConcurrencyFormSetMixin, GuardedDeletionMixin, BaseGenericInlineFormSet):
    def clean(self):
        super().clean()
        record = self.instance
        reason = getattr(record, "unpublishable_reason", "")
        if reason and record.state == State.PUBLISHED:
            kept = [
                form
                for form in self.forms
                if form.cleaned_data.get("source") and not self._should_delete_form(form)
            ]
            if not kept:
                raise ValidationError(reason)


class GuardedInline:
    """An inline whose rows are deleted only by users allowed to (see may_delete), and saved
    only over the version their editor opened (tracker.concurrency)."""

    form = RecordForm
    formset = GuardedInlineFormSet

    def get_queryset(self, request):
        # Each row's token names its latest history row: read with the rows, not one by one.
        return with_latest_history(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        return with_token(super().get_fieldsets(request, obj))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.user = request.user
        formset.form.user = request.user
        return formset


@functools.cache
def list_column(model, name):
    """`name` of a list's columns as the list shows it: a country field as a function of the
    same name (the same header, cell, classes and sort) that gives the country's name.

    Django's own cell looks the code up in the field's choices, about 250 of them built anew
    for every cell (`display_for_field`): over half of the time of a list of 100 cases."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if not isinstance(field, CountryField):
        return name

    def column(record):
        return getattr(record, name).name or None

    column.__name__ = name
    return admin.display(description=field.verbose_name, ordering=name)(column)


class HistoryAdmin(SimpleHistoryAdmin):
    """Any admin: history with a diff of each change and revert; deletion guarded."""

    form = RecordForm
    show_full_result_count = False  # no COUNT(*) over a whole table on every changelist

    def get_list_display(self, request):
        return [list_column(self.model, name) for name in super().get_list_display(request)]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # A country's select, about 250 options, drawn once per process, language and code
        # and then only the chosen one marked (as the lists' filters draw theirs): 1.6 ms of
        # a change form of a case, person, organisation or law, against 8.1 drawn anew.
        if isinstance(db_field, CountryField) and "widget" not in kwargs:
            label = f"admin:{db_field.model._meta.label}.{db_field.name}"
            kwargs["widget"] = CachedOptionsSelect(label)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        # Explicit fieldsets must show the hidden token too; a read-only page has nothing to save.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets
        return with_token(fieldsets)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert saves like a change: in one transaction, so that its version check holds.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # A record deleted while an editor had it open: say by whom, and lead to its history.
        deleted_by = deletion(self.model, unquote(object_id))
        if deleted_by is None:
            return super()._get_obj_does_not_exist_redirect(request, opts, object_id)
        message = RECORD_DELETED.format(name=opts.verbose_name, by=deleted_by)
        self.message_user(request, message, messages.WARNING)
        history = f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history"
        return HttpResponseRedirect(reverse(history, args=[unquote(object_id)]))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_delete(request.user, obj))

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:  # refused anyway; the page then names what holds the records
            return deleted, counts, set(), protected
        refused = [str(record) for record in objs if not may_delete(request.user, record)]
        if refused:
            perms_needed = {
                *perms_needed,
                f"public records ({', '.join(refused[:5])}): only a publisher can delete them",
            }
        return deleted, counts, perms_needed, protected


class CitationInline(GuardedInline, GenericTabularInline):
    model = Citation
    formset = CitationFormSet
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "quote", "note", "conflicting"]
    verbose_name = "source citation"


class PublishingAdmin(HistoryAdmin):
    """For records with a publication state: the review flow as actions and a form check."""

    form = PublishingForm
    action_form = ListActionForm  # carries when the list was loaded (see move)
    actions = ["send_to_review", "return_to_draft", "publish", "withdraw"]
    history_list_display = ["state"]

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.pk:
            stored = self.model.objects.filter(pk=obj.pk).values_list("state", flat=True)
            form.stored_state = stored.first()
        return form

    def move(self, request, queryset, state):
        loaded_at = list_loaded_at(request)
        if loaded_at is None:
            self.message_user(request, LIST_NOT_DATED, messages.ERROR)
            return
        held = 0
        if not self.has_publish_permission(request):
            held = queryset.filter(state=State.PUBLISHED).count()
            queryset = queryset.exclude(state=State.PUBLISHED)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                # A move writes only `state` and `updated_at`, so it cannot overwrite anyone's
                # edits of other fields; what it must not do is act on records the editor has
                # not seen: any save since the list was loaded (a form, another move, an
                # import) set a later `updated_at`, so those are left alone.
                queryset, changed = hold_changed(queryset, loaded_at)
                count = queryset.set_state(state, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        label = State(state).label.lower()
        self.message_user(request, f"{count} record(s) moved to {label}.", messages.SUCCESS)
        if changed:
            names = "; ".join(changed)
            self.message_user(request, LIST_CHANGED.format(names=names), messages.WARNING)
        if held:
            self.message_user(
                request, f"{held} published record(s) left as they are. {PUBLISH_REFUSED}"
            )

    @admin.action(description="Send the selected records to review")
    def send_to_review(self, request, queryset):
        self.move(request, queryset, State.REVIEW)

    @admin.action(description="Return the selected records to draft")
    def return_to_draft(self, request, queryset):
        self.move(request, queryset, State.DRAFT)

    @admin.action(description="Publish the selected records", permissions=["publish"])
    def publish(self, request, queryset):
        self.move(request, queryset, State.PUBLISHED)

    @admin.action(
        description="Withdraw the selected records from the site", permissions=["publish"]
    )
    def withdraw(self, request, queryset):
        self.move(request, queryset, State.WITHDRAWN)


class OrganisationAliasInline(GuardedInline, admin.TabularInline):
    model = OrganisationAlias
    extra = 1


class DesignationInlineForm(PublishingForm):
    def clean(self):
        cleaned_data = super().clean()
        publishing = cleaned_data.get("state") == State.PUBLISHED != self.initial_state
        if publishing and not (self.instance.pk and self.instance.citations.exists()):
            self.add_error(
                "state",
                f"{Designation.unpublishable_reason} Save it as a draft, open it to add its "
                "source, then publish it.",
            )
        return cleaned_data


class DesignationInline(GuardedInline, admin.StackedInline):
    model = Designation
    form = DesignationInlineForm
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
class OrganisationAdmin(PublishingAdmin):
    list_display = ["name", "short_name", "kind", "country", "state", "updated_at"]
    list_filter = ["state", "kind", "country"]
    search_fields = ["name", "short_name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OrganisationAliasInline, DesignationInline, CitationInline]
    formfield_overrides = URL_FIELDS
    save_on_top = True


@admin.register(Designation)
class DesignationAdmin(ImportExportMixin, PublishingAdmin):
    """Also imports designations from a CSV register extract (upload, preview, confirm)
    and exports them in the same columns (tracker.imports)."""

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

    resource_classes = [DesignationResource]
    import_formats = [CSV]
    export_formats = [CSV]
    import_form_class = DesignationImportForm
    confirm_form_class = DesignationConfirmForm
    # The form with a checkbox per column needs an inline event handler, which the CSP forbids.
    export_form_class = ExportForm
    import_template_name = "admin/tracker/designation/import.html"
    # Besides designations, an import may add organisations, aliases, sources and citations.
    import_also_needs = [
        "tracker.add_organisation",
        "tracker.change_organisation",
        "tracker.add_organisationalias",
        "tracker.add_source",
        "tracker.add_citation",
    ]

    def has_import_permission(self, request):
        return super().has_import_permission(request) and request.user.has_perms(
            self.import_also_needs
        )

    def import_action(self, request, **kwargs):
        """The upload and the preview; the confirm form carries what the preview showed."""
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("confirm_form") is not None:
            context["confirm_form"].initial["preview"] = preview_digest(context["result"])
        return response

    def get_import_data_kwargs(self, **kwargs):
        """Every row or none, at the confirm step too (the record may change after the preview),
        and at the confirm step only what the preview showed (DesignationResource.after_import)."""
        form = kwargs.get("form")
        data = {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}
        if isinstance(form, DesignationConfirmForm):
            data["preview_digest"] = form.cleaned_data["preview"]
        return data

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            self.message_user(
                request,
                "Nothing was imported: the record changed since the preview, so the file would "
                "no longer be imported as the preview showed. Upload it again to see why.",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:tracker_designation_import")
            )
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error(
            "import_file",
            "The file could not be read as CSV: check that its columns are separated by commas "
            "and that no row has more values than the header row has columns.",
        )


class LawAliasInline(GuardedInline, admin.TabularInline):
    model = LawAlias
    extra = 1


class LawAmendmentInline(GuardedInline, admin.StackedInline):
    model = LawAmendment
    extra = 0


class PenaltyInline(GuardedInline, admin.TabularInline):
    model = Penalty
    extra = 0


@admin.register(Law)
class LawAdmin(PublishingAdmin):
    list_display = ["title", "short_title", "number", "kind", "jurisdiction", "state"]
    list_filter = ["state", "kind", "jurisdiction"]
    search_fields = ["title", "short_title", "number", "aliases__name"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LawAliasInline, LawAmendmentInline, PenaltyInline, CitationInline]


@admin.register(LawAmendment)
class LawAmendmentAdmin(HistoryAdmin):
    """Amendments have their own page so that each can carry its citations."""

    list_display = ["law", "date", "summary"]
    list_select_related = ["law"]
    autocomplete_fields = ["law"]
    search_fields = ["law__title", "summary"]
    inlines = [CitationInline]


@admin.register(Penalty)
class PenaltyAdmin(HistoryAdmin):
    """Penalties have their own page so that each claim can carry its source."""

    list_display = ["law", "kind", "applies_to", "max_fine", "currency", "max_prison_months"]
    list_filter = ["kind"]
    list_select_related = ["law"]
    autocomplete_fields = ["law"]
    search_fields = ["law__title", "applies_to"]
    inlines = [CitationInline]


class PersonAliasInline(GuardedInline, admin.TabularInline):
    model = PersonAlias
    extra = 1


@admin.register(Person)
class PersonAdmin(PublishingAdmin):
    list_display = ["name", "role", "country", "state", "updated_at"]
    list_filter = ["state", "role", "country"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PersonAliasInline, CitationInline]


class ChargeInline(GuardedInline, admin.TabularInline):
    model = Charge
    extra = 1
    autocomplete_fields = ["law"]


class CaseEventInline(GuardedInline, admin.StackedInline):
    model = CaseEvent
    extra = 0
    fields = [("kind", "date", "date_precision"), "description"]
    show_change_link = True


@admin.register(Case)
class CaseAdmin(PublishingAdmin):
    list_display = ["title", "status", "country", "state", "updated_at"]
    list_filter = ["state", "status", "country"]
    search_fields = ["title", "summary", "people__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["people", "organisations"]
    inlines = [ChargeInline, CaseEventInline, CitationInline]
    save_on_top = True


@admin.register(CaseEvent)
class CaseEventAdmin(HistoryAdmin):
    """Case events have their own page so that each can carry its citations."""

    list_display = ["case", "kind", "date", "date_precision"]
    list_filter = ["kind"]
    list_select_related = ["case"]
    autocomplete_fields = ["case"]
    search_fields = ["case__title", "description"]
    inlines = [CitationInline]


@admin.register(Source)
class SourceAdmin(PublishingAdmin):
    """A source is public while a published record cites it, or once published on its own."""

    list_display = ["title", "publisher", "published_date", "kind", "reliability", "state", "link"]
    list_filter = ["state", "kind", "reliability", "language"]
    search_fields = ["title", "url", "publisher", "author"]
    formfield_overrides = URL_FIELDS

    @admin.display(description="URL")
    def link(self, obj):
        if not is_web_address(obj.url):
            return obj.url or "—"
        return format_html('<a href="{}" rel="noopener noreferrer">open</a>', obj.url)


@admin.register(Citation)
class CitationAdmin(HistoryAdmin):
    list_display = ["source", "cited", "conflicting"]
    list_filter = ["content_type", "conflicting"]
    list_select_related = ["source", "content_type"]
    autocomplete_fields = ["source"]
    search_fields = ["source__title", "quote", "note"]

    def get_queryset(self, request):
        # The cited records, one query per kind: each row (and its checkbox label) names one.
        cited = GenericPrefetch(
            "content_object",
            [
                Designation.objects.select_related("organisation"),
                LawAmendment.objects.select_related("law"),
                *(
                    model.objects.all()
                    for model in (Organisation, Law, Penalty, Person, Case, CaseEvent)
                ),
            ],
        )
        return super().get_queryset(request).prefetch_related(cited)

    @admin.display(description="cites", ordering="content_type")
    def cited(self, citation):
        return f"{citation.content_type.name}: {citation.content_object or citation.object_id}"
