"""A record page's sources as numbered footnotes, built from already-loaded citations.

Each fact on the page (the record itself, each designation card, event, penalty…) gets
reference marks `[n]`; the page ends with one numbered list of sources, each source once
however many facts cite it, with back-links to every mark that points at it. Numbers follow
the order in which the page shows the facts. The citations of every fact on the page, of
whatever kind, are read in one query (`footnote_citations()`); every record cited must be
public. From the same citations each record gets its evidence mark
(`tracker.models.evidence.confirmed_by`), so a detail page needs no `with_evidence()`.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from tracker.models.base import footnote_citations
from tracker.models.evidence import confirmed_by


@dataclass
class Ref:
    """One reference mark: where a fact cites a footnote."""

    footnote: "Footnote"
    anchor: str  # the mark's element id, the target of the footnote's back-link
    citations: list  # this fact's citations of the source (usually one)

    @property
    def number(self):
        return self.footnote.number

    @property
    def conflicting(self):
        return any(citation.conflicting for citation in self.citations)

    @property
    def quotes(self):
        return _unique(citation.quote for citation in self.citations)


@dataclass
class Footnote:
    """One source on the page, with every mark citing it."""

    number: int
    source: object
    refs: list = field(default_factory=list)

    @property
    def anchor(self):
        return f"source-{self.number}"

    @property
    def quotes(self):
        return _unique(quote for ref in self.refs for quote in ref.quotes)

    @property
    def without_address(self):
        """What a source with no web address is, so the footnote is never just a title."""
        source = self.source
        kind = source.get_kind_display()
        if not kind[:2].isupper():  # "court record" in a sentence, but "NGO statement" kept
            kind = kind[:1].lower() + kind[1:]
        if source.publisher:
            return _("No web address: %(kind)s, cited from %(publisher)s.") % {
                "kind": kind,
                "publisher": source.publisher,
            }
        return _("No web address: %(kind)s whose publisher is not known.") % {"kind": kind}


@dataclass
class Cited:
    """What one fact on the page cites: its marks, and whether its sources disagree."""

    refs: list

    @property
    def conflicting(self):
        return [ref for ref in self.refs if ref.conflicting]

    @property
    def agreeing(self):
        return [ref for ref in self.refs if not ref.conflicting]

    @property
    def has_conflict(self):
        return bool(self.conflicting)


def _unique(values):
    seen = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


class Footnotes:
    """The numbered sources of one page; `cite()` each fact in the order the page shows them."""

    def __init__(self):
        self._by_source = {}
        self.notes = []

    def cite(self, record, anchor, citations):
        """Number the sources of `record` (its `citations`, with their sources), set
        `record.cited` (a `Cited`) and its evidence, and return it. `anchor` names the fact
        in the marks' ids."""
        record.evidence_confirmed = confirmed_by(citations)
        by_source = {}
        for citation in citations:
            by_source.setdefault(citation.source_id, []).append(citation)
        refs = []
        for source_id, citations in by_source.items():
            note = self._by_source.get(source_id)
            if note is None:
                note = Footnote(number=len(self.notes) + 1, source=citations[0].source)
                self._by_source[source_id] = note
                self.notes.append(note)
            ref = Ref(footnote=note, anchor=f"cite-{anchor}-{note.number}", citations=citations)
            note.refs.append(ref)
            refs.append(ref)
        # A fact's marks read in order, [1][3] rather than [3][1].
        record.cited = Cited(refs=sorted(refs, key=lambda ref: ref.number))
        return record.cited

    def __iter__(self):
        return iter(self.notes)

    def __len__(self):
        return len(self.notes)


def build_footnotes(facts):
    """The footnotes of a page showing `facts`: (anchor, record) pairs in page order."""
    footnotes = Footnotes()
    records = [record for _anchor, record in facts]
    for (anchor, record), citations in zip(facts, footnote_citations(records), strict=True):
        footnotes.cite(record, anchor, citations)
    return footnotes
