"""No lost edits: optimistic concurrency for the admin's change forms, inlines and list actions.

A change form, and each existing row of its inlines, carries a hidden token of the record as it
was stored when the form was opened: ``<latest history id>:<digest of the stored values>``. The
digest (every concrete field but the bookkeeping times, and the ids of many-to-many relations)
decides: whatever changed the row, the admin, a list action, an import or a shell, changes it.
The history id only names the version the editor saw, so that a conflict can say which fields
changed since, from what to what, who changed them and when (django-simple-history).

On save, inside the admin's transaction, the stored row is read again, locked with
``select_for_update()`` (PostgreSQL; SQLite's IMMEDIATE transactions hold the write lock from the
start), and compared with the token. If it changed, the form is invalid: nothing is saved, the
editor's input is kept, the message says what changed, and the form now carries the new token,
so that saving again, after review, keeps the editor's version on purpose.

List actions carry when the list was loaded (``ListActionForm.loaded_at``); see `hold_changed`.
"""

import hashlib
import json

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Max, OuterRef, Subquery
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import Truncator

VERSION_FIELD = "concurrency_token"
# Set on records read with `with_latest_history`: the id of their latest history row.
LATEST_HISTORY = "latest_history_id"
# Change on every save even when nothing else does: a save that changes nothing is no conflict.
BOOKKEEPING = {"created_at", "updated_at"}
GONE = "gone"  # the digest of a row that is not stored (deleted)
SHOWN_CHARS = 80  # old and new values in a conflict message are cut to this length
NAMED_RECORDS = 10  # a list action names at most this many records it left alone

UNVERSIONED = (
    "This form does not say which version of the {name} you opened (it may come from a page "
    "opened before an update of the site), so saving it could overwrite someone else's changes. "
    "Nothing was saved. Compare your input with the {name}'s History, then save again to keep "
    "your version."
)
CHANGED = (
    "This {name} was changed since you opened the form — {changes}. Nothing was saved. The "
    "form shows your input: review it against these changes, then save again to keep your "
    "version."
)
DELETED = "This {name} was deleted since you opened the form — {changes}. Nothing was saved. {then}"
DELETED_ROW_THEN = (
    "Saving again leaves it deleted and drops this row; to keep what it says, add it again as a "
    "new row."
)
DELETED_RECORD_THEN = "Saving again restores this version."
TAKEN = (
    "Fields you had left as they were now show what is stored: {fields}; the fields you "
    "changed keep your input."
)
RECORD_DELETED = (
    "This {name} was deleted {by}, so nothing was saved. Its history keeps every version; "
    "revert to one to restore it."
)
CHANGED_BEFORE_DELETE = (
    "{record} was changed since you opened the form — {changes}. It was not deleted, and "
    "nothing was saved: review the changes, then save again to delete it anyway."
)
LIST_CHANGED = (
    "Left alone, because they changed since you opened the list: {names}. Review them and try "
    "again."
)
LIST_NOT_DATED = (
    "Nothing was changed: this action does not say when the list was opened (it may come from "
    "a page opened before an update of the site). Reload the list and try again."
)


# The token


def history_model(model):
    return getattr(model, model._meta.simple_history_manager_attribute).model


def with_latest_history(queryset):
    """The records with the id of their latest history row (LATEST_HISTORY), in the same query."""
    versions = history_model(queryset.model).objects.filter(id=OuterRef("pk"))
    latest = versions.order_by("-history_id").values("history_id")[:1]
    return queryset.annotate(**{LATEST_HISTORY: Subquery(latest)})


def stored(model, pk, lock=False):
    """The record as stored now, with LATEST_HISTORY; None when it is not stored."""
    records = model._base_manager.filter(pk=pk)
    if lock:
        # Locks this row only (not rows joined in); a no-op on SQLite, whose IMMEDIATE
        # transactions already keep every other writer out until the save commits.
        records = records.select_for_update(of=("self",))
    return with_latest_history(records).first()


def digest(record):
    """A digest of the record's stored values, many-to-many ids included."""
    if record is None:
        return GONE
    opts = record._meta
    values = [
        [field.attname, getattr(record, field.attname)]
        for field in opts.concrete_fields
        if field.name not in BOOKKEEPING
    ]
    values += [
        [field.name, sorted(getattr(record, field.name).values_list("pk", flat=True))]
        for field in opts.many_to_many
    ]
    text = json.dumps(values, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def latest_history_id(model, pk, record):
    if record is not None:
        return getattr(record, LATEST_HISTORY, None) or 0
    versions = history_model(model).objects.filter(id=pk)
    return versions.aggregate(latest=Max("history_id"))["latest"] or 0


def make_token(model, pk, record):
    return f"{latest_history_id(model, pk, record)}:{digest(record)}"


def parse_token(token):
    """(history id, digest) from a posted token; None when it is missing or malformed."""
    history_id, _, value = (token or "").partition(":")
    if not (history_id.isdigit() and value and len(value) <= 64):
        return None
    return int(history_id), value


# What changed


def shown(field, value):
    """A stored value as an editor reads it: a choice's label, a related record's name."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        return f"“{related}”" if related is not None else f"#{value} (deleted)"
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    return f"“{Truncator(str(value)).chars(SHOWN_CHARS)}”"


def related_ids(version, field):
    """The ids a history version holds in a many-to-many field (simple-history m2m_fields)."""
    target = field.m2m_reverse_field_name()
    return {getattr(row, f"{target}_id") for row in getattr(version, field.name).all()}


def field_changes(model, before, after):
    """'field “old” → “new”' for each field that differs between two versions of a record."""
    opts = model._meta
    changes = []
    for field in opts.concrete_fields:
        if field.name in BOOKKEEPING or field.primary_key:
            continue
        old, new = getattr(before, field.attname), getattr(after, field.attname)
        if old != new:
            changes.append(f"{field.verbose_name} {shown(field, old)} → {shown(field, new)}")
    tracked = {field.name for field in getattr(history_model(model), "_history_m2m_fields", [])}
    for field in opts.many_to_many:
        if field.name not in tracked:
            continue
        old, new = related_ids(before, field), related_ids(after, field)
        if old != new:
            names = field.related_model._base_manager.in_bulk(old ^ new)
            added = [str(names.get(pk, f"#{pk}")) for pk in sorted(new - old)]
            removed = [str(names.get(pk, f"#{pk}")) for pk in sorted(old - new)]
            parts = [f"added {', '.join(added)}"] if added else []
            parts += [f"removed {', '.join(removed)}"] if removed else []
            changes.append(f"{field.verbose_name}: {'; '.join(parts)}")
    return changes


def who_and_when(version):
    user = version.history_user
    who = user.get_username() if user is not None else "someone (no account recorded)"
    # The same format, in the same declared timezone, as every other time the site shows.
    when = date_format(
        timezone.localtime(version.history_date, timezone.get_default_timezone()),
        "DATETIME_FORMAT",
    )
    reason = f" ({version.history_change_reason})" if version.history_change_reason else ""
    return f"by {who}, {when}{reason}"


def history_since(model, pk, seen_history_id):
    """(the version with `seen_history_id` or None, the versions after it, oldest first)."""
    versions = list(
        history_model(model)
        .objects.filter(id=pk, history_id__gte=seen_history_id)
        .select_related("history_user")
        .order_by("history_id")
    )
    if versions and versions[0].history_id == seen_history_id:
        return versions[0], versions[1:]
    return None, versions


def describe_changes(model, seen, later, current):
    """What happened to the record since the version `seen`: who, when, which fields, old → new."""
    previous = seen
    parts = []
    for version in later:
        if version.history_type == "-":
            what = "deleted"
        elif previous is None or version.history_type == "+":
            what = "created"
        else:
            what = "; ".join(field_changes(model, previous, version)) or "saved without changes"
        parts.append(f"{who_and_when(version)}: {what}")
        previous = version
    if not later:
        # Changed without a history row (e.g. an update in a shell): the values still tell what.
        what = "its history does not say by whom"
        if seen is not None and current is not None:
            what = "; ".join([*field_changes(model, seen, current), what])
        parts.append(what)
    return " — ".join(parts)


def deletion(model, pk):
    """'by whom, when' the record was deleted, from its history; None if it does not say."""
    try:
        pk = model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    versions = history_model(model).objects.filter(id=pk).select_related("history_user")
    latest = versions.order_by("-history_id").first()
    if latest is None or latest.history_type != "-":
        return None
    return who_and_when(latest)


# Forms


class TokenField(forms.CharField):
    """The hidden token; never counts as a change of the form (inline rows save only if changed)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


class ConcurrencyForm(forms.ModelForm):
    """A model form that saves only over the version of the record its editor opened."""

    concurrency_token = TokenField(required=False)

    # After validation: the message when the record changed since the form was opened, and
    # whether the record (an inline row) is no longer stored, which the editor has seen.
    conflict = None
    changes = None  # who changed what since, in the conflict message
    gone = False  # the record is no longer stored
    current = None  # the record as stored when the form was checked
    gone_accepted = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if not self.is_bound and instance.pk is not None and not instance._state.adding:
            # Inline rows come with LATEST_HISTORY (GuardedInline.get_queryset); a change form's
            # record is read again, because a revert form's instance is an earlier version.
            model, pk = type(instance), instance.pk
            record = instance if hasattr(instance, LATEST_HISTORY) else stored(model, pk)
            self.initial[VERSION_FIELD] = make_token(model, pk, record)

    def posted_pk(self):
        """The pk of the stored record this form edits, or None when it adds one."""
        if not self.instance._state.adding:
            return self.instance.pk
        pk_field = self._meta.model._meta.pk
        if pk_field.name not in self.fields:  # an add form
            return None
        try:  # an inline row whose record is gone: Django made it a new instance
            return pk_field.to_python(self.data.get(self.add_prefix(pk_field.name)) or None)
        except ValidationError:
            return None

    def clean(self):
        cleaned_data = super().clean()
        self.check_version()
        return cleaned_data

    def check_version(self):
        """Refuse to save over a record that changed since the form was opened."""
        pk = self.posted_pk()
        if pk is None:
            return
        model = self._meta.model
        self.current = current = stored(model, pk, lock=True)
        seen = parse_token(self.cleaned_data.get(VERSION_FIELD))
        name = model._meta.verbose_name
        if current is None:
            self.gone = True
            # Django's "Select a valid choice" on the hidden id says nothing useful.
            self._errors.pop(model._meta.pk.name, None)
        if seen is not None and seen[1] == digest(current):
            self.gone_accepted = current is None
            return
        # The form is shown again with the editor's input, but now carries the version they
        # have been shown, so that saving again keeps their version on purpose.
        self.data = self.data.copy()
        self.data[self.add_prefix(VERSION_FIELD)] = make_token(model, pk, current)
        if seen is None:
            self.conflict = UNVERSIONED.format(name=name)
        else:
            version, later = history_since(model, pk, seen[0])
            self.changes = changes = describe_changes(model, version, later, current)
            if current is None:
                then = DELETED_RECORD_THEN if self.instance.pk else DELETED_ROW_THEN
                self.conflict = DELETED.format(name=name, changes=changes, then=then)
            else:
                self.conflict = CHANGED.format(name=name, changes=changes)
                taken = self.take_stored_values(version, current)
                if taken:
                    self.conflict += " " + TAKEN.format(fields=", ".join(taken))
        self.add_error(None, self.conflict)

    def take_stored_values(self, seen, current):
        """Show what is stored now in each field the editor left as it was when they opened the
        form, so that saving again keeps their changes and not their stale copy of the others.

        `seen` is that version (from the history); returns the labels of the fields updated.
        """
        if seen is None:
            return []
        opts = self._meta.model._meta
        tracked = {f.name for f in getattr(history_model(opts.model), "_history_m2m_fields", [])}
        taken = []
        for name, field in self.fields.items():
            try:
                model_field = opts.get_field(name)
            except FieldDoesNotExist:
                continue
            if model_field.many_to_many and name in tracked:
                old = sorted(related_ids(seen, model_field))
                new = sorted(getattr(current, name).values_list("pk", flat=True))
            elif model_field.concrete and not model_field.primary_key and not field.disabled:
                old, new = getattr(seen, model_field.attname), getattr(current, model_field.attname)
            else:
                continue
            if old == new or field.has_changed(old, self[name].data):
                continue  # not changed by the other, or changed by this editor: their input stays
            self.put_data(name, field, new)
            taken.append(str(model_field.verbose_name))
        return taken

    def put_data(self, name, field, value):
        """Set the posted data of one field as the form would render `value`."""
        key = self.add_prefix(name)
        widget = getattr(field.widget, "widget", field.widget)  # the admin's related-field wrapper
        if isinstance(widget, forms.CheckboxInput):
            if value:
                self.data[key] = "on"
            else:
                self.data.pop(key, None)
            return
        shown_value = widget.format_value(field.prepare_value(value))
        if isinstance(shown_value, list | tuple):
            self.data.setlist(key, [str(item) for item in shown_value])
        else:
            self.data[key] = "" if shown_value is None else str(shown_value)


class ConcurrencyFormSetMixin:
    """For inline formsets of ConcurrencyForm rows: conflicts of deleted rows, rows gone."""

    def _should_delete_form(self, form):
        # A row deleted by someone else, after its editor was told so, is left deleted.
        return getattr(form, "gone_accepted", False) or super()._should_delete_form(form)

    def clean(self):
        if any(form.gone for form in self.initial_forms):
            # The admin shows row i against the i-th stored record: without this, a row deleted
            # meanwhile would not be shown (nor its message), and the rows after it shifted.
            records = {record.pk: record for record in self.get_queryset()}
            self._queryset = [
                None if form.gone else records.get(form.instance.pk) for form in self.initial_forms
            ]
        super().clean()
        # Errors of rows marked for deletion are not shown, so a conflict there is the formset's.
        conflicts = [
            CHANGED_BEFORE_DELETE.format(record=form.current, changes=form.changes)
            for form in self.initial_forms
            if form.changes and not form.gone and form.cleaned_data.get(DELETION_FIELD_NAME)
        ]
        if conflicts:
            raise ValidationError(conflicts)


def with_token(fieldsets):
    """The fieldsets with the hidden token in the first, when they do not show it already."""
    from django.contrib.admin.utils import flatten_fieldsets

    if not fieldsets or VERSION_FIELD in flatten_fieldsets(fieldsets):
        return fieldsets
    (name, options), *rest = fieldsets
    return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]


# List actions


def now_iso():
    return timezone.now().isoformat()


class ListActionForm(ActionForm):
    """The changelist's action form, with when the list was loaded."""

    # Rendered above the rows, so it is set before they are read; ISO with microseconds.
    loaded_at = forms.CharField(label="", required=False, initial=now_iso, widget=forms.HiddenInput)


def list_loaded_at(request):
    """When the list the action was chosen on was loaded; None if the form does not say."""
    try:
        loaded_at = parse_datetime(request.POST.get("loaded_at", ""))
    except ValueError:
        return None
    if loaded_at is None or timezone.is_naive(loaded_at):
        return None
    return loaded_at


def hold_changed(queryset, loaded_at):
    """Lock the selected records and return (those unchanged since `loaded_at`, names of others).

    Call inside a transaction. Every save of a record, by a form, an action or an import,
    sets its `updated_at`.
    """
    # Locked by primary key: the list's own query may be DISTINCT (a search across aliases),
    # which PostgreSQL cannot lock.
    selected = queryset.model._base_manager.filter(pk__in=queryset.values("pk"))
    list(selected.select_for_update().values_list("pk", flat=True))
    changed = queryset.filter(updated_at__gt=loaded_at)
    names = [str(record) for record in changed[: NAMED_RECORDS + 1]]
    if len(names) > NAMED_RECORDS:
        names[NAMED_RECORDS:] = [f"and {changed.count() - NAMED_RECORDS} more"]
    return queryset.filter(updated_at__lte=loaded_at), names
