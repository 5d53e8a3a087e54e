"""Citations as numbered footnotes, and the honest "unverified" marks (tracker.models.evidence).

One record set for the module's classes: a designation resting only on an unverified
article (like Memorial's), one confirmed by a primary source with a conflicting unverified
account (like Amnesty's), one citing nothing, and a draft citing a primary source.
"""

import csv
import datetime
import io
import json
import xml.etree.ElementTree as ET  # noqa: S405 (the app's own output, in tests)

from django.test import TestCase

from tests import factories
from tracker.choices import DatePrecision, State
from tracker.footnotes import build_footnotes
from tracker.models import Designation, Organisation
from tracker.models.base import with_sources
from tracker.models.evidence import confirmed_by
from tracker.models.public import cited_models

ATOM = "{http://www.w3.org/2005/Atom}"


def build_record(t):
    t.law = factories.LawFactory(slug="undesirables", title="Law on undesirable organisations")
    t.hrw = factories.SourceFactory(
        title="Government designates HRW undesirable",
        url="https://www.hrw.org/news/2025/11/28/russia",
        publisher="Human Rights Watch",
        published_date=datetime.date(2025, 11, 1),
        published_date_precision=DatePrecision.MONTH,
        reliability="primary",
        kind="ngo",
    )
    factories.CitationFactory.for_object(t.law, source=t.hrw, quote="the 2015 law")
    t.article = factories.SourceFactory(
        title="First-person report",
        url="",
        publisher="",
        published_date=None,
        reliability="unverified",
        kind="news",
    )
    t.court = factories.SourceFactory(
        title="Court decision",
        url="",
        publisher="Moscow City Court",
        reliability="established",
        kind="court",
    )
    # Memorial-like: one unverified article, nothing else.
    t.memorial = factories.OrganisationFactory(name="Memorial", slug="memorial")
    t.memorial_designation = factories.DesignationFactory(
        organisation=t.memorial, law=t.law, kind="unspecified", decision_date=None
    )
    factories.CitationFactory.for_object(
        t.memorial_designation, source=t.article, quote="including Memorial"
    )
    # Amnesty-like: a primary source, cited by the organisation and its designation, and a
    # conflicting unverified account.
    t.amnesty = factories.OrganisationFactory(name="Amnesty International", slug="amnesty")
    t.amnesty_designation = factories.DesignationFactory(
        organisation=t.amnesty, law=t.law, decision_date=datetime.date(2025, 5, 19)
    )
    factories.CitationFactory.for_object(t.amnesty, source=t.hrw, quote="London-based")
    factories.CitationFactory.for_object(t.amnesty, source=t.court, quote="The court ruled.")
    factories.CitationFactory.for_object(
        t.amnesty_designation, source=t.hrw, quote="declared undesirable by the Prosecutor"
    )
    factories.CitationFactory.for_object(
        t.amnesty_designation,
        source=t.article,
        quote="The Justice Ministry announced",
        conflicting=True,
        note="Seed 001 (unverified) says the Justice Ministry.",
    )
    # Nothing cited at all.
    t.uncited = factories.OrganisationFactory(name="Uncited Org", slug="uncited")
    t.uncited_designation = factories.DesignationFactory(
        organisation=t.uncited, law=t.law, decision_date=datetime.date(2024, 3, 1)
    )
    # A draft designation citing a primary source: not public, so its citation counts for
    # nothing a reader can see.
    t.draft_designation = factories.DesignationFactory(
        organisation=t.uncited,
        law=t.law,
        kind="foreign_agent",
        decision_date=datetime.date(2024, 4, 1),
        state=State.DRAFT,
    )
    factories.CitationFactory.for_object(t.draft_designation, source=t.hrw)


class FootnoteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_record(cls)

    def page(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_sources_are_numbered_once_per_page_with_back_links(self):
        content = self.page("/organisations/amnesty/")
        # Three sources, each listed once although HRW is cited by two facts.
        self.assertEqual(content.count('class="footnote" id="source-'), 3)
        self.assertEqual(content.count("<cite>Government designates HRW undesirable</cite>"), 1)
        # The organisation's facts come first: HRW is [1], the court [2], the article [3].
        d = self.amnesty_designation.pk
        self.assertIn('id="cite-record-1"><a href="#source-1"', content)
        self.assertIn('id="cite-record-2"><a href="#source-2"', content)
        self.assertIn(f'id="cite-designation-{d}-1"><a href="#source-1"', content)
        self.assertIn(f'id="cite-designation-{d}-3"><a href="#source-3"', content)
        # The footnote links back to both marks citing it.
        self.assertIn('href="#cite-record-1"', content)
        self.assertIn(f'href="#cite-designation-{d}-1"', content)
        # Both quoted passages of HRW appear in its footnote.
        self.assertIn("London-based", content)
        self.assertIn("declared undesirable by the Prosecutor", content)

    def test_footnote_links_to_the_original_and_the_source_page(self):
        content = self.page("/organisations/amnesty/")
        self.assertIn(
            '<a class="external" href="https://www.hrw.org/news/2025/11/28/russia" '
            'rel="noopener noreferrer nofollow">Original at hrw.org</a>',
            content,
        )
        self.assertIn("(leaves this site)", content)
        self.assertIn(f'href="/sources/{self.hrw.pk}/"', content)
        # Title, publisher, a month-only date shown as such, kind and the grade in words.
        self.assertIn(
            'Human Rights Watch, <time datetime="2025-11">November 2025</time>; '
            "NGO statement or report",
            content,
        )
        self.assertNotIn("1 November 2025", content)
        self.assertIn("The official text, register or decision itself.", content)

    def test_a_source_without_an_address_says_what_it_is(self):
        content = self.page("/organisations/amnesty/")
        self.assertIn("No web address: court record, cited from Moscow City Court.", content)
        self.assertIn("No web address: news report whose publisher is not known.", content)

    def test_conflicting_claims_side_by_side_without_editors_notes(self):
        content = self.page("/organisations/amnesty/")
        self.assertIn('<div class="claims"', content)
        claims = content[content.index('<div class="claims"') :]
        claims = claims[: claims.index("</article>")]
        self.assertIn("Conflicting account", claims)
        self.assertIn("The Justice Ministry announced", claims)
        self.assertIn('href="#source-3">[3]</a>', claims)
        self.assertIn('href="#source-1">[1]</a>', claims)
        # How the record was assembled is not for the public.
        self.assertNotIn("Seed 001", content)

    def test_footnotes_of_every_kind_of_fact_are_read_in_one_query(self):
        organisation = Organisation.objects.for_detail().get(pk=self.amnesty.pk)
        facts = [("record", organisation)]
        facts += [(f"d-{d.pk}", d) for d in organisation.public_designations]
        with self.assertNumQueries(1):
            footnotes = build_footnotes(facts)
        self.assertEqual([note.source for note in footnotes], [self.hrw, self.court, self.article])
        self.assertEqual([ref.number for ref in footnotes.notes[0].refs], [1, 1])
        self.assertEqual(len(footnotes.notes[0].refs), 2)
        designation = organisation.public_designations[0]
        self.assertEqual([ref.number for ref in designation.cited.conflicting], [3])

    def test_a_page_without_citations_says_so(self):
        content = self.page("/organisations/uncited/")
        self.assertIn("No source cited yet.", content)


class EvidenceMarkTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_record(cls)

    def test_the_rule(self):
        evidence = {d.pk: d.evidence for d in Designation.objects.with_evidence().order_by("pk")}
        self.assertEqual(evidence[self.memorial_designation.pk], "unverified")
        self.assertEqual(evidence[self.amnesty_designation.pk], "confirmed")
        self.assertEqual(evidence[self.uncited_designation.pk], "unverified")

    def test_the_rule_in_memory_agrees_with_the_query(self):
        # Detail pages read the mark from the citations their footnotes load.
        checked = set()
        for model in cited_models():
            for record in (
                model.objects.published().with_evidence().prefetch_related(with_sources())
            ):
                self.assertEqual(
                    confirmed_by(record.citations.all()), record.evidence_confirmed, record
                )
                checked.add(record.evidence_confirmed)
        self.assertEqual(checked, {True, False})

    def test_the_rule_for_public_rows_agrees_with_the_full_rule(self):
        for model in cited_models():
            full = dict(
                model.objects.published().with_evidence().values_list("pk", "evidence_confirmed")
            )
            fast = dict(
                model.objects.published_with_evidence().values_list("pk", "evidence_confirmed")
            )
            self.assertEqual(fast, full, model)

    def test_a_hidden_citation_confirms_nothing(self):
        # Its source is primary, but the citation is not public (its record is a draft).
        draft = Designation.objects.with_evidence().get(pk=self.draft_designation.pk)
        self.assertEqual(draft.evidence, "unverified")

    def test_designation_badges_carry_the_mark_wherever_listed(self):
        mark = 'class="mark mark-unverified"'
        for url, expected in [
            ("/designations/", 2),
            ("/organisations/", 2),
            (f"/laws/{self.law.slug}/", 2),
            ("/", 2),
            # The designation, and the organisation's own facts, which cite nothing.
            ("/organisations/memorial/", 2),
            ("/organisations/amnesty/", 0),
        ]:
            with self.subTest(url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                content = response.content.decode()
                self.assertEqual(content.count(mark), expected)
                if expected:
                    self.assertIn(">unverified<", content)

    def test_home_counts_split_confirmed_and_unverified(self):
        content = self.client.get("/").content.decode()
        self.assertIn("<strong>3</strong> designations", content)
        self.assertIn("1 confirmed, 2 unverified", content)

    def test_exports_carry_evidence(self):
        response = self.client.get("/designations/?format=csv")
        self.assertEqual(response.status_code, 200)
        text = response.getvalue().decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        by_id = {int(row["id"]): row["evidence"] for row in rows}
        self.assertEqual(by_id[self.memorial_designation.pk], "unverified")
        self.assertEqual(by_id[self.amnesty_designation.pk], "confirmed")
        response = self.client.get("/designations/?format=json")
        data = json.loads(response.getvalue())
        records = data if isinstance(data, list) else data["results"]
        by_id = {record["id"]: record["evidence"] for record in records}
        self.assertEqual(by_id[self.uncited_designation.pk], "unverified")
        self.assertEqual(by_id[self.amnesty_designation.pk], "confirmed")

    def test_api_carries_evidence(self):
        response = self.client.get("/api/designations/")
        self.assertEqual(response.status_code, 200)
        by_id = {row["id"]: row["evidence"] for row in response.json()["results"]}
        self.assertEqual(by_id[self.memorial_designation.pk], "unverified")
        self.assertEqual(by_id[self.amnesty_designation.pk], "confirmed")
        organisation = self.client.get(f"/api/organisations/{self.amnesty.pk}/").json()
        self.assertEqual(organisation["evidence"], "confirmed")
        self.assertEqual(organisation["designations"][0]["evidence"], "confirmed")
        # The editors' working note on a citation is not published.
        citations = organisation["designations"][0]["citations"]
        self.assertTrue(all("note" not in citation for citation in citations))

    def test_feed_marks_unverified_entries(self):
        response = self.client.get("/designations/?format=atom")
        self.assertEqual(response.status_code, 200)
        root = ET.fromstring(response.content)  # noqa: S314 (the app's own output)
        entries = {
            entry.findtext(f"{ATOM}title"): [c.get("term") for c in entry.iter(f"{ATOM}category")]
            for entry in root.iter(f"{ATOM}entry")
        }
        self.assertEqual(
            entries,
            {
                "Memorial: Foreign agent or undesirable (source does not say which) (unverified)": [
                    "unverified"
                ],
                "Amnesty International: Undesirable organisation": ["confirmed"],
                "Uncited Org: Undesirable organisation (unverified)": ["unverified"],
            },
        )


class FootnoteMarkupTests(TestCase):
    """The footnote list and marks are written in Python (tracker/templatetags/citations.py):
    whatever a source says is escaped there as the template engine would escape it."""

    def test_source_text_is_escaped_in_marks_and_footnotes(self):
        law = factories.LawFactory(slug="escaped", title="A law")
        source = factories.SourceFactory(
            title='<b>Bold</b> & "quoted"',
            url="",
            publisher="<i>Publisher</i>",
            reliability="unverified",
            kind="news",
        )
        factories.CitationFactory.for_object(law, source=source, quote="<script>x()</script>")
        content = self.client.get(law.get_absolute_url()).content.decode()
        self.assertNotIn("<b>Bold</b>", content)
        self.assertNotIn("<i>Publisher</i>", content)
        self.assertNotIn("<script>x()</script>", content)
        escaped_title = "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;"
        self.assertIn(f'title="{escaped_title}" aria-label="Source 1">[1]</a></sup>', content)
        self.assertIn(f"<cite>{escaped_title}</cite>", content)
        self.assertIn("<blockquote>&lt;script&gt;x()&lt;/script&gt;</blockquote>", content)
        self.assertIn("cited from &lt;i&gt;Publisher&lt;/i&gt;.", content)
