"""Edit history (django-simple-history): which models keep it, and the public change log."""

import datetime
import functools
from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.manager import HistoryManager
from simple_history.utils import get_history_model_for_model

from tracker.choices import State


def recorded_models():
    """The tracker models that keep a history of every change."""
    return [
        model
        for model in apps.get_app_config("tracker").get_models()
        if isinstance(getattr(model, "history", None), HistoryManager)
    ]


def first_versions(reason="Loaded from the seed record"):
    """Give every record that has no history yet (loaded raw, e.g. by loaddata) a first version."""
    for model in recorded_models():
        records = list(model.objects.exclude(pk__in=model.history.values("id")))
        for record in records:
            # Dated when the record says it last changed, not when it was loaded: otherwise the
            # change log would say "created" days after the "last updated" date above it.
            updated = getattr(record, "updated_at", None)
            if updated is not None:
                record._history_date = updated
        model.history.bulk_history_create(records, default_change_reason=reason)


# Never named in the public change log: bookkeeping, and who made the change; nor any field
# the tracker derives rather than an editor edits (`editable=False`: a case's event dates).
UNLISTED_FIELDS = {"id", "created_at", "updated_at", "url_key", "state"}
STATE_MOVES = {
    State.PUBLISHED: gettext_lazy("Published"),
    State.WITHDRAWN: gettext_lazy("Withdrawn from the site"),
    State.REVIEW: gettext_lazy("Sent to review"),
    State.DRAFT: gettext_lazy("Returned to draft"),
}


@dataclass(frozen=True)
class LogEntry:
    """One public line of a record's change log: when, and what (never who)."""

    date: datetime.datetime
    summary: str


def describe(version, previous, fields):
    """What `version` changed relative to `previous` (None for the first version)."""
    if previous is None or version.history_type == "+":
        return _("Record created")
    if version.history_type == "-":
        return _("Record deleted")
    parts = []
    old_state, new_state = getattr(previous, "state", None), getattr(version, "state", None)
    if old_state != new_state and new_state in STATE_MOVES:
        parts.append(STATE_MOVES[new_state])
    changed = [
        str(field.verbose_name)
        for field in fields
        if getattr(version, field.attname) != getattr(previous, field.attname)
    ]
    if changed:
        parts.append(_("Changed: %(fields)s") % {"fields": ", ".join(changed)})
    return "; ".join(str(part) for part in parts) or _("Edited")


# A model's historical model, found once per model: `model.history` builds a new manager class
# on every access (django-simple-history's HistoryDescriptor), a third of a change log's time.
historical_model = functools.cache(get_history_model_for_model)


def change_log(record, limit=20):
    """The record's latest `limit` changes, newest first, in one query."""
    model = type(record)
    versions = historical_model(model)._default_manager.filter(id=record.pk)
    versions = list(versions.order_by("-history_date", "-history_id")[: limit + 1])
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.editable and field.name not in UNLISTED_FIELDS
    ]
    return [
        LogEntry(version.history_date, describe(version, previous, fields))
        for version, previous in zip(versions[:limit], [*versions[1:], None], strict=False)
    ]


def last_updated(record, log):
    """When the record last changed: the later of its `updated_at` and its newest logged change.

    The page's "Last updated" and its change log then never disagree (a change the history
    recorded without touching `updated_at` still counts).
    """
    dates = [getattr(record, "updated_at", None), *(entry.date for entry in log[:1])]
    dates = [date for date in dates if date is not None]
    return max(dates, default=None)
