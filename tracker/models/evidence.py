"""How well a record's facts are supported: the one rule behind every "unverified" mark.

A cited record (organisation, designation, law, case, event, person…) is **confirmed** when
at least one of its *public* citations cites a source graded other than "unverified"
(primary/official or an established outlet or NGO). Otherwise it is **unverified**: every
source it rests on is unverified, or it cites nothing at all (nothing a reader could check).

The rule is a single query expression, `confirmed_condition(model)`, annotated by
`with_evidence()` on every cited model's queryset as `evidence_confirmed`. Lists, home-page
counts, feeds, exports and the API all read that annotation (through the `evidence` property
of `EvidenceMixin`), so they cannot disagree. A detail page already holds every citation of
the public records it shows (for their footnotes): `confirmed_by(citations)` is the same rule
evaluated on them in memory (tracker.footnotes sets it), with no extra query.
"""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from tracker.choices import Reliability

CONFIRMED = "confirmed"
UNVERIFIED = "unverified"

EVIDENCE_LABELS = {
    CONFIRMED: _("confirmed"),
    UNVERIFIED: _("unverified"),
}
EVIDENCE_EXPLANATIONS = {
    CONFIRMED: _("At least one source behind this is graded primary or established."),
    UNVERIFIED: _(
        "Every source behind this is graded unverified, or none is cited: "
        "treat it as a claim, not an established fact."
    ),
}

# What each grade of source means, in words (shown beside the grade's badge).
GRADE_MEANINGS = {
    Reliability.PRIMARY: _("The official text, register or decision itself."),
    Reliability.ESTABLISHED: _("Published by an identified outlet or NGO with a track record."),
    Reliability.UNVERIFIED: _(
        "Author, publisher, date or quotes cannot be checked; not enough alone to confirm a fact."
    ),
}


def confirming_citations(model, rows_are_public=False):
    """The citations that confirm rows of `model`: public ones of a not-unverified source.

    With `rows_are_public` (for rows already filtered by `published()`), every citation of a
    row is public, since a citation is public when the record it cites is: the citations need
    no visibility test of their own, which is the costly part of this condition to build."""
    from .public import ContentTypeId
    from .sources import Citation

    # Only public citations count: a citation the public cannot see (e.g. of a draft
    # record) must never make anything look confirmed.
    if rows_are_public:
        citations = Citation.objects.all()
    else:  # tested against the rule of `model` alone: it reads no other kind's tables
        citations = Citation.objects.published(cited=model)
    return citations.filter(content_type=ContentTypeId(model)).exclude(
        source__reliability=Reliability.UNVERIFIED
    )


def confirmed_condition(model, rows_are_public=False):
    """True for rows of `model` resting on at least one public, not-unverified source."""
    return Exists(confirming_citations(model, rows_are_public).filter(object_id=OuterRef("pk")))


def confirmed_ids(confirming, ids):
    """The ids among `ids` that are confirmed, in one grouped query over `confirming`
    (`confirming_citations(model)`): an export reads a chunk of rows at a time this way
    rather than with a subquery per row."""
    rows = confirming.filter(object_id__in=ids)
    return set(rows.order_by().values_list("object_id", flat=True).distinct())


def mark_evidence(rows):
    """Set `evidence_confirmed` on `rows`, public records of one model (a page of a list), in
    one query for all of them, and return them.

    `with_evidence()` on the whole filtered list would give the same marks, but PostgreSQL
    plans its subquery as one hash of every confirming citation of the model, whatever the
    page size (about 30 ms at 100,000 cases); this reads the citations of the page's rows."""
    rows = list(rows)
    if rows:
        confirming = confirming_citations(type(rows[0]), rows_are_public=True)
        confirmed = confirmed_ids(confirming, [row.pk for row in rows])
        for row in rows:
            row.evidence_confirmed = row.pk in confirmed
    return rows


def evidence_dependencies(rows_are_public=False):
    """The models whose rows `confirmed_condition` reads: public citations and their sources.

    With `rows_are_public` (as for `confirming_citations`), the citations and their sources'
    grades only: the rows' citations are public with them, whatever decides that."""
    from .public import public_dependencies
    from .sources import Citation, Source

    if rows_are_public:
        return {Citation, Source}
    return public_dependencies(Citation, Source)


def confirmed_by(citations):
    """`confirmed_condition` evaluated in memory, on every citation of one *public* record
    (loaded with their sources). A citation is public when the record it cites is (it is part
    of that record), so these are exactly the record's public citations."""
    return any(citation.source.reliability != Reliability.UNVERIFIED for citation in citations)


class EvidenceMixin:
    """`evidence`: "confirmed" or "unverified", read from `with_evidence()`'s annotation."""

    @property
    def evidence(self):
        if not hasattr(self, "evidence_confirmed"):
            raise AttributeError(
                f"{type(self).__name__}.evidence needs a queryset with .with_evidence()"
            )
        return CONFIRMED if self.evidence_confirmed else UNVERIFIED

    @property
    def is_unverified(self):
        return self.evidence == UNVERIFIED

    @property
    def evidence_label(self):
        return EVIDENCE_LABELS[self.evidence]

    @property
    def evidence_explanation(self):
        return EVIDENCE_EXPLANATIONS[self.evidence]
