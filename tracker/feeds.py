"""Atom feeds (RFC 4287) of exactly what a list's filters select: designations, case events.

Entries are ordered honestly, newest first: a dated item by its own date (a designation's
decision date, or register date when undated; an event's date); an undated item by when it
was first published on this site (from its edit history), which its summary says. The load
date of a record is never passed off as its date.
"""

import datetime

from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tracker import shapes
from tracker.choices import State
from tracker.languages import primary_language
from tracker.models import Case, CaseEvent, Designation
from tracker.models.organisations import designation_date

# The newest entries a feed carries; the list and its exports give the rest.
FEED_SIZE = 50
FEED_AUTHOR = "Repression Tracker"
# The year in the entries' tag: URIs (RFC 4151). Never change it: readers key entries on it.
TAG_YEAR = "2026"


class SourcedAtomFeed(Atom1Feed):
    """Atom with a `link rel="related"` per source an entry cites."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for url in item.get("related", ()):
            handler.addQuickElement("link", "", {"rel": "related", "href": url})


def _midnight(day):
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def _first_published(history, key="pk"):
    """Subquery: when the record first appeared published in its history."""
    return Subquery(
        history.filter(id=OuterRef(key), state=State.PUBLISHED)
        .order_by("history_date")
        .values("history_date")[:1]
    )


def _first_version(history, key="pk"):
    return Subquery(
        history.filter(id=OuterRef(key)).order_by("history_date").values("history_date")[:1]
    )


def _last_version(history, key="pk"):
    return Subquery(
        history.filter(id=OuterRef(key)).order_by("-history_date").values("history_date")[:1]
    )


def _newest(dated, undated):
    """The FEED_SIZE newest of two querysets: dated by `feed_date` (a date), undated by
    `first_published` (a time; never published at all comes last). Two queries, any size."""
    items = [(_midnight(item.feed_date), item) for item in dated[:FEED_SIZE]]
    for item in undated[:FEED_SIZE]:
        items.append(
            (item.first_published or datetime.datetime.min.replace(tzinfo=datetime.UTC), item)
        )
    items.sort(key=lambda pair: (pair[0], pair[1].pk), reverse=True)
    return [item for _, item in items[:FEED_SIZE]]


def _date_note(item, display):
    if item.feed_date is not None:
        return display
    if item.first_published:
        return _("date unknown; published on this site on %(date)s") % {
            "date": f"{item.first_published:%-d %B %Y}"
        }
    return _("date unknown")


def designation_entries(queryset):
    """The newest designations of `queryset` (from DesignationShape.queryset()), for the feed."""
    queryset = queryset.annotate(feed_date=designation_date(), changed_at=F("updated_at"))
    dated = queryset.filter(feed_date__isnull=False).order_by(F("feed_date").desc(), "-id")
    undated = (
        queryset.filter(feed_date__isnull=True)
        .annotate(first_published=_first_published(Designation.history))
        .order_by(F("first_published").desc(nulls_last=True), "-id")
    )
    return _newest(dated, undated)


def _oldest_possible_date(cases):
    """A date no event among the FEED_SIZE newest of `cases` is older than: the latest event
    date (`Case.latest_event_date`, kept from the events) of the FEED_SIZE-th case by it,
    in the case list's own order (and index). Each of the cases before it has an event at
    least that new. Fewer dated cases than that: any date."""
    latest = cases.order_by(F("latest_event_date").desc(nulls_last=True), F("id").desc())
    return Coalesce(
        Subquery(latest.values("latest_event_date")[FEED_SIZE - 1 : FEED_SIZE]),
        Value(datetime.date.min),
    )


def event_entries(cases):
    """The newest events of the cases `cases` selects (a published queryset), for the feed.

    Neither half sorts every event of the cases listed (all of them, unfiltered), working
    out each one's evidence and change time first: the dated events are those of the few
    newest cases, the undated ones ranked by their publication time alone."""
    # An event keeps no change time of its own: its last version in the history, else its
    # case's.
    events = shapes.CaseEventShape.queryset().annotate(
        feed_date=F("date"),
        changed_at=Coalesce(_last_version(CaseEvent.history), F("case__updated_at")),
    )
    newest_cases = cases.filter(latest_event_date__gte=_oldest_possible_date(cases))
    dated = events.filter(case__in=newest_cases.values("pk"), date__isnull=False).order_by(
        "-date", "-id"
    )
    # An event is published when its case is: the later of the case's first publication
    # and the event's creation.
    first_published = Greatest(
        _first_published(Case.history, "case_id"), _first_version(CaseEvent.history)
    )
    order = (F("first_published").desc(nulls_last=True), "-id")
    # Found from the undated events, each tested for its case (not from every event of the
    # cases listed), then only the FEED_SIZE kept read in full.
    ranked = (
        CaseEvent.objects.published()
        .filter(Exists(cases.filter(pk=OuterRef("case_id")).values("pk")), date=None)
        .annotate(first_published=first_published)
        .order_by(*order)
    )
    undated = (
        events.filter(pk__in=ranked.values("pk")[:FEED_SIZE])
        .annotate(first_published=first_published)
        .order_by(*order)
    )
    return _newest(dated, undated)


def _evidence(item, title):
    """The entry's title, marked when the record rests only on unverified sources, and its
    evidence ("confirmed"/"unverified", tracker.models.evidence) as an Atom category."""
    if item.is_unverified:
        title = f"{title} ({item.evidence_label})"
    return {"title": title, "categories": [item.evidence]}


def _designation_item(request, item):
    parts = [f"{item.get_kind_display()}, {_date_note(item, item.date_display)}"]
    if item.authority:
        parts.append(_("by %(authority)s") % {"authority": item.authority})
    if item.law:
        parts.append(_("under %(law)s") % {"law": item.law})
    if item.revoked_date:
        parts.append(_("(revoked %(date)s)") % {"date": item.revoked_display})
    return {
        **_evidence(item, f"{item.organisation.name}: {item.get_kind_display()}"),
        "description": " ".join(parts) + ".",
        "unique_id": f"tag:{request.get_host()},{TAG_YEAR}:designation/{item.pk}",
    }


def _event_item(request, item):
    return {
        **_evidence(item, f"{item.case.title}: {item.get_kind_display()}"),
        "description": f"{_date_note(item, item.date_display)}. {item.description}".strip(),
        "unique_id": f"tag:{request.get_host()},{TAG_YEAR}:case-event/{item.pk}",
    }


def atom_response(request, title, subtitle, page_url, items, describe):
    """The Atom document of `items`, each described by `describe(request, item)`."""
    feed = SourcedAtomFeed(
        title=title,
        link=page_url,
        description=subtitle,
        feed_url=request.build_absolute_uri(),
        feed_guid=page_url,
        author_name=FEED_AUTHOR,
        author_link=request.build_absolute_uri("/"),
        # The language of the list it comes from (/ru/designations/?format=atom is Russian).
        language=primary_language(get_language()),
    )
    for item in items:
        feed.add_item(
            link=request.build_absolute_uri(item.get_absolute_url()),
            pubdate=_midnight(item.feed_date) if item.feed_date else None,
            updateddate=item.changed_at,
            related=list(
                dict.fromkeys(
                    citation.source.url for citation in item.public_citations if citation.source.url
                )
            ),
            **describe(request, item),
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


def designation_feed(request, queryset, page_url):
    return atom_response(
        request,
        _("Repression Tracker: designations"),
        _("Organisations declared undesirable, foreign agents and the like, with sources."),
        page_url,
        designation_entries(queryset),
        _designation_item,
    )


def case_event_feed(request, cases, page_url):
    return atom_response(
        request,
        _("Repression Tracker: case events"),
        _("Arrests, searches, hearings, verdicts and releases in the cases listed, with sources."),
        page_url,
        event_entries(cases),
        _event_item,
    )
