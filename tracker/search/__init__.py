"""Search over the public record, behind one small interface.

- `clean_query(raw)` makes whatever a person typed safe to search for.
- `matching(queryset, query)` narrows a list page's queryset to the matches.
- `find(query)` gives the search page its ranked, highlighted groups.
- `suggest(query)` offers close names when nothing matches.
- `match(name, kinds)` reconciles a name from elsewhere with public records, scored.

Views and filters use only these; `text` (normalisation), `index` (what is
stored) and `backends` (SQLite FTS5 / PostgreSQL) stay behind them.
"""

import difflib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from tracker.models.search import SearchKind

from . import text
from .backends import backend
from .index import KINDS, kind_of

# Counting every match of a common word would cost more than the rest of the page; counts
# stop here and are shown as "1,000+".
COUNT_CAP = 1000


class Query(str):
    """A cleaned search query; `truncated` says whether it was cut to the maximum length."""

    truncated = False

    @cached_property
    def terms(self):
        return text.parse(self)

    @property
    def too_many_words(self):
        return len(self.split()) > text.MAX_TERMS


def clean_query(raw):
    """Drop control characters, collapse whitespace and cut to SEARCH_MAX_LENGTH."""
    raw = raw or ""
    cleaned = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} else ch for ch in raw
    )
    cleaned = " ".join(cleaned.split())
    limit = settings.SEARCH_MAX_LENGTH
    query = Query(cleaned[:limit].strip())
    query.truncated = len(cleaned) > limit
    return query


def matching(queryset, query):
    """The records of `queryset` matching every term of a cleaned `query` (all, if none)."""
    if not query.terms:
        return queryset
    sql, params = backend().matching_sql(kind_of(queryset.model), query.terms)
    return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (parameters are bound)


@dataclass
class Hit:
    record: object
    title: str
    also: str = ""
    snippet: str = ""


@dataclass
class Group:
    kind: str
    label: str
    list_url: str
    count: int = 0
    hits: list = field(default_factory=list)

    @property
    def capped(self):
        """The count stopped at COUNT_CAP: shown as "1,000+"."""
        return self.count >= COUNT_CAP


@dataclass(frozen=True)
class Display:
    """How the search page shows one kind: heading, list page, title, other names, text.

    With `aliases`, records come with `alias_names`, their aliases' names in order.
    """

    label: str
    list_url: str
    title: Callable
    other_names: Callable = lambda record: []
    body: Callable = lambda record: ""
    aliases: bool = False


def _aliases(record):
    return record.alias_names


DISPLAY = {
    SearchKind.ORGANISATION: Display(
        _("Organisations"),
        "tracker:organisation-list",
        title=lambda o: o.name,
        other_names=lambda o: [o.short_name, *_aliases(o)],
        body=lambda o: o.description,
        aliases=True,
    ),
    SearchKind.LAW: Display(
        _("Laws"),
        "tracker:law-list",
        title=lambda law: law.title,
        other_names=lambda law: [law.number, law.short_title, *_aliases(law)],
        body=lambda law: law.summary,
        aliases=True,
    ),
    SearchKind.CASE: Display(
        _("Cases"), "tracker:case-list", title=lambda c: c.title, body=lambda c: c.summary
    ),
    SearchKind.PERSON: Display(
        _("People"),
        "tracker:person-list",
        title=lambda p: p.name,
        other_names=_aliases,
        body=lambda p: p.description,
        aliases=True,
    ),
}


def _published(kind, ids):
    """The published records with these ids, in the order of the ids.

    Aliases come as plain names from one query (model instances and prefetching cost more
    than the rest of the search page).
    """
    if not ids:
        return []
    model = KINDS[kind].model()
    records = {
        record.pk: record for record in model.objects.published().filter(pk__in=ids).order_by()
    }
    if DISPLAY[kind].aliases:
        relation = model._meta.get_field("aliases")
        owner = relation.field.attname
        names = relation.related_model.objects.filter(**{f"{owner}__in": list(records)})
        for record in records.values():
            record.alias_names = []
        for owner_id, name in names.values_list(owner, "name"):
            records[owner_id].alias_names.append(name)
    return [records[pk] for pk in ids if pk in records]


def _hit(kind, record, terms):
    display = DISPLAY[kind]
    names = display.other_names(record)
    also = next((name for name in names if name and text.matches(name, terms)), "")
    return Hit(
        record=record,
        title=text.highlight(display.title(record), terms),
        also=text.highlight(also, terms) if also else "",
        snippet=text.snippet(display.body(record), terms),
    )


def find(query, per_group=20):
    """One group per kind: how many published records match (up to COUNT_CAP), and the best.

    Groups come in the order of DISPLAY, except that kinds the query names by a kind word
    (`text.KIND_WORDS`: "law", "article", "case"…) come first.
    """
    engine = backend()
    models = {kind: KINDS[kind].model() for kind in DISPLAY}
    counts = engine.counts(models, query.terms, COUNT_CAP) if query.terms else {}
    groups = []
    for kind, display in DISPLAY.items():
        group = Group(kind=kind, label=display.label, list_url=reverse(display.list_url))
        group.count = counts.get(kind, 0)
        groups.append(group)
    wanted = {group.kind: (models[group.kind], not group.capped) for group in groups if group.count}
    ranked = engine.ranked(wanted, query.terms, per_group) if wanted else {}
    # Rarely, the best-scored candidates hold too few public records to fill a group: those
    # groups are ranked again over every match.
    short = {
        kind: wanted[kind]
        for kind in wanted
        if len(ranked.get(kind, [])) < min(per_group, counts[kind])
    }
    if short:
        ranked |= engine.ranked(short, query.terms, per_group, exhaustive=True)
    for group in groups:
        records = _published(group.kind, ranked.get(group.kind, []))
        group.hits = [_hit(group.kind, record, query.terms) for record in records]
    # A query that names a kind ("undesirable organisations law") wants that kind first.
    named = text.named_kinds(query.terms)
    groups.sort(key=lambda group: named.index(group.kind) if group.kind in named else len(named))
    return groups


def suggest(query, limit=5):
    """Published records whose names are close to the query: [(kind label, name)]."""
    words = [term.joined for term in query.terms]
    if not words:
        return []
    found = backend().similar(words, limit=limit * 2)
    by_kind = {}
    for kind, pk in found:
        by_kind.setdefault(kind, []).append(pk)
    records = {
        (kind, record.pk): record
        for kind, ids in by_kind.items()
        for record in _published(kind, ids)
    }
    names = []
    for kind, pk in found:
        if (kind, pk) in records:
            name = DISPLAY[kind].title(records[kind, pk])
            if name not in names:
                names.append(name)
    return names[:limit]


@dataclass
class Match:
    record: object
    kind: str
    score: float  # 0..1: 1 for a name, alias or acronym that is the same once normalised
    matched: str  # the record's name (or alias) the score was earned on


def _names(kind, record):
    display = DISPLAY[kind]
    return [name for name in [display.title(record), *display.other_names(record)] if name]


def match(name, kinds, limit=3):
    """The public records of `kinds` a name written elsewhere most likely means, best first.

    Candidates come from the search itself (ranked name matches, then close spellings), so
    a name in another script, an acronym or an alias reconciles as it would be found; each is
    scored by how close the normalised name is to the closest of the record's names.
    """
    query = clean_query(name)
    if not query.terms:
        return []
    engine = backend()
    wanted = {kind: (KINDS[kind].model(), True) for kind in kinds}
    ranked = engine.ranked(wanted, query.terms, limit * 3)
    words = [term.joined for term in query.terms]
    for kind, pk in engine.similar(words, kinds=kinds, limit=limit * 3):
        ranked.setdefault(kind, [])
        if pk not in ranked[kind]:
            ranked[kind].append(pk)
    wanted_form = " ".join(text.tokens(query))
    as_written = query.casefold()
    found = []
    for kind, ids in ranked.items():
        for record in _published(kind, ids):
            score, matched = _closest(wanted_form, as_written, _names(kind, record))
            found.append(Match(record, kind, round(score, 3), matched))
    found.sort(key=lambda hit: (-hit.score, hit.kind, hit.record.pk))
    return found[:limit]


def _closest(wanted_form, as_written, names):
    """(score, name) of the closest of `names`; on a tie the one written alike, then the first."""
    best_key, best_name = (-1.0, False), ""
    for name in names:
        key = (_similarity(wanted_form, " ".join(text.tokens(name))), name.casefold() == as_written)
        if key > best_key:
            best_key, best_name = key, name
    return best_key[0], best_name


def _similarity(a, b):
    return difflib.SequenceMatcher(None, a, b).ratio() if a and b else 0.0
