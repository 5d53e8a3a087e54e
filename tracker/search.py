"""Text search over the public record, behind one small interface.

`clean_query()` makes whatever a person typed safe to search for, and
`matching(queryset, query)` narrows any searchable queryset to the records that
match. Views and filters use only these two, so the engine underneath can
change without touching them.
"""

import unicodedata

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from tracker.models import (
    Case,
    Charge,
    Law,
    Organisation,
    OrganisationAlias,
    Person,
    PersonAlias,
    Source,
)


class Query(str):
    """A cleaned search query; `truncated` says whether it was cut to the maximum length."""

    truncated = False


def clean_query(raw):
    """Drop control characters, collapse whitespace and cut to SEARCH_MAX_LENGTH."""
    raw = raw or ""
    text = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in raw
    )
    text = " ".join(text.split())
    limit = settings.SEARCH_MAX_LENGTH
    query = Query(text[:limit].strip())
    query.truncated = len(text) > limit
    return query


def _text_conditions(query):
    """Each word must appear somewhere (the word order does not matter)."""
    return [word for word in query.split() if word][:10]


def _organisation_q(word):
    alias = OrganisationAlias.objects.filter(organisation=OuterRef("pk"), name__icontains=word)
    return Q(name__icontains=word) | Q(short_name__icontains=word) | Exists(alias)


def _law_q(word):
    return (
        Q(title__icontains=word)
        | Q(short_title__icontains=word)
        | Q(number__icontains=word)
        | Q(summary__icontains=word)
    )


def _person_q(word):
    alias = PersonAlias.objects.filter(person=OuterRef("pk"), name__icontains=word)
    return Q(name__icontains=word) | Exists(alias)


def _case_q(word):
    charge = Charge.objects.filter(case=OuterRef("pk")).filter(
        Q(description__icontains=word)
        | Q(law__title__icontains=word)
        | Q(law__short_title__icontains=word)
        | Q(law__number__icontains=word)
    )
    person = Person.objects.filter(cases=OuterRef("pk")).filter(_person_q(word))
    return Q(title__icontains=word) | Q(summary__icontains=word) | Exists(charge) | Exists(person)


def _source_q(word):
    return (
        Q(title__icontains=word)
        | Q(publisher__icontains=word)
        | Q(author__icontains=word)
        | Q(url__icontains=word)
    )


WORD_CONDITIONS = {
    Source: _source_q,
    Organisation: _organisation_q,
    Law: _law_q,
    Person: _person_q,
    Case: _case_q,
}


def matching(queryset, query):
    """The records of `queryset` that match every word of `query`."""
    words = _text_conditions(query)
    if not words:
        return queryset
    condition = WORD_CONDITIONS[queryset.model]
    for word in words:
        queryset = queryset.filter(condition(word))
    return queryset
