"""What each kind of record puts in the search index, and keeping the index in step.

Each record's names and text are normalised once, when it is saved, into a
`SearchEntry` row (see `tracker.search.text`), so no query transliterates rows, and its
whole names into `SearchName` rows (looked up by form, for exact matches).
An entry holds only what the public may see of the record: a case's entry names
its public people and the public laws it is charged under, never the others.

Each kind declares what its entry depends on (`IndexedKind.depends_on`): when one
of those records is saved, deleted, published or withdrawn, or its link to the
record changes, the entries that show it are rewritten, inside the same
transaction as the edit (signals, and `refresh()` for bulk state changes).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.db.models import Prefetch
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)

from tracker.models.public import is_public
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
    # The charges the case page shows: none under a law that is not public.
    for charge in obj.charges.all():
        if not is_public(charge, ignoring=("case",)):
            continue
        body.append(charge.description)
        if charge.law_id:
            body.extend([charge.law.number, charge.law.short_title, charge.law.title])
    body.extend(person.name for person in obj.people.all())  # public people only (prefetch)
    return [obj.title], body


def _case_prefetch(apps):
    return (
        Prefetch(
            "charges", queryset=apps.get_model("tracker", "Charge").objects.select_related("law")
        ),
        Prefetch("people", queryset=_published(apps.get_model("tracker", "Person"))),
    )


def _published(model):
    # Historical models (in data migrations) have no custom querysets: the state says it.
    if hasattr(model.objects, "published"):
        return model.objects.published()
    return model.objects.filter(state="published")


def _source(obj):
    return [obj.title, obj.publisher, obj.author], [obj.url, obj.summary]


@dataclass(frozen=True)
class IndexedKind:
    """A searchable model: how to load its records and what (names, other text) each gives.

    `depends_on` maps each other model the entry shows to the lookup from this model to it;
    a change to one of those records rewrites the entries that reach it.
    """

    model_name: str
    describe: Callable
    prefetch: Callable = lambda apps: ()
    depends_on: dict = field(default_factory=dict)

    def model(self, apps=global_apps):
        return apps.get_model("tracker", self.model_name)


def _aliases(apps):
    return ("aliases",)


KINDS = {
    SearchKind.ORGANISATION: IndexedKind(
        "Organisation", _organisation, _aliases, {"OrganisationAlias": "aliases"}
    ),
    SearchKind.LAW: IndexedKind("Law", _law, _aliases, {"LawAlias": "aliases"}),
    SearchKind.PERSON: IndexedKind("Person", _person, _aliases, {"PersonAlias": "aliases"}),
    SearchKind.CASE: IndexedKind(
        "Case",
        _case,
        _case_prefetch,
        {"Charge": "charges", "Person": "people", "Law": "charges__law"},
    ),
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


def _name_forms(entry):
    """The whole-name forms an entry's `exact` column holds, one `SearchName` row each."""
    return [form for form in entry.exact.split("|") if form]


def _name_model(apps):
    """`SearchName`, or None in migrations before it (0015 fills it from the entries)."""
    try:
        return apps.get_model("tracker", "SearchName")
    except LookupError:
        return None


def reindex(kind, pks, apps=global_apps):
    """Rewrite the index rows of these records of one kind (deleted records lose theirs)."""
    indexed = KINDS[kind]
    entry_model = apps.get_model("tracker", "SearchEntry")
    name_model = _name_model(apps)
    pks = list(pks)
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        records = (
            indexed.model(apps)
            .objects.filter(pk__in=chunk)
            .prefetch_related(*indexed.prefetch(apps))
        )
        entries = [
            entry_model(kind=kind, object_id=record.pk, **entry_fields(*indexed.describe(record)))
            for record in records
        ]
        # Delete and insert rather than update: the SQLite FTS triggers index whole rows.
        entry_model.objects.filter(kind=kind, object_id__in=chunk).delete()
        entry_model.objects.bulk_create(entries, batch_size=500)
        if name_model is not None:
            names = [
                name_model(kind=kind, object_id=entry.object_id, form=form)
                for entry in entries
                for form in _name_forms(entry)
            ]
            name_model.objects.filter(kind=kind, object_id__in=chunk).delete()
            name_model.objects.bulk_create(names, batch_size=500)


def rebuild(apps=global_apps, kinds=None):
    """Index every record from scratch; returns how many rows were written per kind."""
    counts = {}
    for kind in kinds or KINDS:
        for model in (apps.get_model("tracker", "SearchEntry"), _name_model(apps)):
            if model is not None:
                model.objects.filter(kind=kind).delete()
        pks = list(KINDS[kind].model(apps).objects.order_by("pk").values_list("pk", flat=True))
        reindex(kind, pks, apps)
        counts[kind] = len(pks)
    return counts


# Keeping the index in step with edits ------------------------------------------------------


def _dependents(model, pks):
    """{kind: ids} of the entries of other records that show these records of `model`."""
    found = {}
    for kind, indexed in KINDS.items():
        lookup = indexed.depends_on.get(model.__name__)
        if lookup and pks:
            records = indexed.model().objects.filter(**{f"{lookup}__in": pks})
            found[kind] = set(records.values_list("pk", flat=True).distinct())
    return found


def refresh(model, pks, also=None):
    """Rewrite the entries of these records and of every record whose entry shows them.

    `also` adds {kind: ids} found before the change (what the records showed up in then).
    """
    pks = list(pks)
    todo = {kind: set(ids) for kind, ids in (also or {}).items()}
    for kind, indexed in KINDS.items():
        if indexed.model_name == model.__name__:
            todo.setdefault(kind, set()).update(pks)
    for kind, ids in _dependents(model, pks).items():
        todo.setdefault(kind, set()).update(ids)
    for kind, ids in todo.items():
        if ids:
            reindex(kind, sorted(ids))


def _before_change(sender, instance, raw=False, **kwargs):
    """Remember which entries show the record as stored, before a change moves its links."""
    if not raw and instance.pk is not None:
        instance._search_before = _dependents(sender, [instance.pk])


def _on_save(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata and restore: the loader rebuilds the index once everything is in
        return
    refresh(sender, [instance.pk], also=getattr(instance, "_search_before", None))


def _on_delete(sender, instance, **kwargs):
    refresh(sender, [instance.pk], also=getattr(instance, "_search_before", None))


def _on_people_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse and action == "pre_clear":  # person.cases.clear() does not say which cases
        instance._search_case_ids = list(instance.cases.values_list("pk", flat=True))
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        reindex(SearchKind.CASE, [instance.pk])
    else:
        reindex(SearchKind.CASE, pk_set or getattr(instance, "_search_case_ids", []))


def watched_models():
    """Every model whose changes can alter an entry: the indexed ones and what they show."""
    names = {indexed.model_name for indexed in KINDS.values()}
    names.update(name for indexed in KINDS.values() for name in indexed.depends_on)
    return [global_apps.get_model("tracker", name) for name in sorted(names)]


def connect():
    for model in watched_models():
        uid = f"tracker.search.{model.__name__}"
        pre_save.connect(_before_change, sender=model, dispatch_uid=uid)
        post_save.connect(_on_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(_before_change, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_delete, sender=model, dispatch_uid=uid)
    people = global_apps.get_model("tracker", "Case").people.through
    m2m_changed.connect(_on_people_changed, sender=people, dispatch_uid="tracker.search.people")
