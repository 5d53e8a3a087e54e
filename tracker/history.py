"""Edit history (django-simple-history): which models keep it, and the public change log."""

from django.apps import apps
from simple_history.manager import HistoryManager


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
        records = model.objects.exclude(pk__in=model.history.values("id"))
        model.history.bulk_history_create(list(records), default_change_reason=reason)
