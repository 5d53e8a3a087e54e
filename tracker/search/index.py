"""What each kind of record puts in the search index, and keeping the index in step.

Each record's names and text are normalised once, when it is saved, into a
`SearchEntry` row (see `tracker.search.text`), so no query transliterates rows.
Signals re-index a record whenever it, one of its aliases, charges or people
changes, inside the same transaction as the edit.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from tracker.models.search import SearchKind

from . import text

CHUNK = 1000


def _organisation(obj):
    names = [obj.name, obj.short_name, *(alias.name for alias in obj.aliases.all())]
    return names, [obj.description]


def _law(obj):
    names = [obj.title, obj.short_title, obj.number, *(alias.name for alias in obj.aliases.all())]
    return names, [obj.summary]


def _person(obj):
    return [obj.name, *(alias.name for alias in obj.aliases.all())], [obj.description]


def _case(obj):
    body = [obj.summary, obj.court, obj.sentence]
    for charge in obj.charges.all():
        body.append(charge.description)
        if charge.law_id:
            body.extend([charge.law.number, charge.law.short_title, charge.law.title])
    body.extend(person.name for person in obj.people.all())
    return [obj.title], body


def _source(obj):
    return [obj.title, obj.publisher, obj.author], [obj.url, obj.summary]


@dataclass(frozen=True)
class IndexedKind:
    """A searchable model: how to load its records and what (names, other text) each gives."""

    model_name: str
    describe: Callable
    prefetch: tuple = ()

    def model(self, apps=global_apps):
        return apps.get_model("tracker", self.model_name)


KINDS = {
    SearchKind.ORGANISATION: IndexedKind("Organisation", _organisation, ("aliases",)),
    SearchKind.LAW: IndexedKind("Law", _law, ("aliases",)),
    SearchKind.PERSON: IndexedKind("Person", _person, ("aliases",)),
    SearchKind.CASE: IndexedKind("Case", _case, ("charges__law", "people")),
    SearchKind.SOURCE: IndexedKind("Source", _source),
}


def kind_of(model):
    return next(kind for kind, indexed in KINDS.items() if indexed.model_name == model.__name__)


def entry_fields(names, body):
    """The four indexed columns for a record with these names and this other text."""
    name_tokens, keys, exact = [], [], set()
    for name in filter(None, names):
        found = text.tokens(name)
        name_tokens.append(" ".join(found))
        keys.extend(text.skeleton(token) for token in found)
        keys.extend(text.initials(name))
        exact |= text.name_forms(name)
    body_tokens = []
    for part in filter(None, body):
        found = text.tokens(part)
        body_tokens.extend(found)
        body_tokens.extend(key for key in map(text.skeleton, found) if key not in found)
    return {
        "names": " | ".join(name_tokens),
        "keys": " ".join(dict.fromkeys(keys)),
        "body": " ".join(body_tokens),
        "exact": "|" + "|".join(sorted(exact)) + "|",
    }


def reindex(kind, pks, apps=global_apps):
    """Rewrite the index rows of these records of one kind (deleted records lose theirs)."""
    indexed = KINDS[kind]
    entry_model = apps.get_model("tracker", "SearchEntry")
    pks = list(pks)
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        records = (
            indexed.model(apps).objects.filter(pk__in=chunk).prefetch_related(*indexed.prefetch)
        )
        entries = [
            entry_model(kind=kind, object_id=record.pk, **entry_fields(*indexed.describe(record)))
            for record in records
        ]
        # Delete and insert rather than update: the SQLite FTS triggers index whole rows.
        entry_model.objects.filter(kind=kind, object_id__in=chunk).delete()
        entry_model.objects.bulk_create(entries, batch_size=500)


def rebuild(apps=global_apps, kinds=None):
    """Index every record from scratch; returns how many rows were written per kind."""
    entry_model = apps.get_model("tracker", "SearchEntry")
    counts = {}
    for kind in kinds or KINDS:
        entry_model.objects.filter(kind=kind).delete()
        pks = list(KINDS[kind].model(apps).objects.order_by("pk").values_list("pk", flat=True))
        reindex(kind, pks, apps)
        counts[kind] = len(pks)
    return counts


# Keeping the index in step with edits ------------------------------------------------------


def _case_ids(queryset):
    return list(queryset.values_list("pk", flat=True).distinct())


def _on_save(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the loader rebuilds the index once the whole fixture is in
        return
    model = sender.__name__
    if model in ("Organisation", "Law", "Person", "Case", "Source"):
        reindex(kind_of(sender), [instance.pk])
    if model == "OrganisationAlias":
        reindex(SearchKind.ORGANISATION, [instance.organisation_id])
    elif model == "LawAlias":
        reindex(SearchKind.LAW, [instance.law_id])
    elif model == "PersonAlias":
        reindex(SearchKind.PERSON, [instance.person_id])
    elif model == "Charge":
        reindex(SearchKind.CASE, [instance.case_id])
    elif model == "Law":
        case_model = global_apps.get_model("tracker", "Case")
        reindex(SearchKind.CASE, _case_ids(case_model.objects.filter(charges__law=instance)))
    elif model == "Person":
        reindex(SearchKind.CASE, _case_ids(instance.cases.all()))


def _before_delete(sender, instance, **kwargs):
    if sender.__name__ == "Person":
        instance._search_case_ids = _case_ids(instance.cases.all())


def _on_delete(sender, instance, **kwargs):
    _on_save(sender, instance)
    if sender.__name__ == "Person":
        reindex(SearchKind.CASE, getattr(instance, "_search_case_ids", []))


def _on_people_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse and action == "pre_clear":  # person.cases.clear() does not say which cases
        instance._search_case_ids = _case_ids(instance.cases.all())
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        reindex(SearchKind.CASE, [instance.pk])
    else:
        reindex(SearchKind.CASE, pk_set or getattr(instance, "_search_case_ids", []))


WATCHED = (
    "Organisation",
    "OrganisationAlias",
    "Law",
    "LawAlias",
    "Person",
    "PersonAlias",
    "Case",
    "Charge",
    "Source",
)


def connect():
    for name in WATCHED:
        model = global_apps.get_model("tracker", name)
        uid = f"tracker.search.{name}"
        post_save.connect(_on_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_delete, sender=model, dispatch_uid=uid)
    people = global_apps.get_model("tracker", "Case").people.through
    m2m_changed.connect(_on_people_changed, sender=people, dispatch_uid="tracker.search.people")
