"""Atom feeds that follow the lists' filters: designations, and the events of cases."""

import datetime
import xml.etree.ElementTree as ET  # noqa: S405 (the app's own output, in tests)

import pytest

from tests import factories
from tracker.choices import State

pytestmark = pytest.mark.django_db

NS = {"atom": "http://www.w3.org/2005/Atom"}
A = "{http://www.w3.org/2005/Atom}"


def atom(client, url):
    """The parsed feed, after checking the elements RFC 4287 requires."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"atom:{name}", NS).text, name
    assert root.find("atom:author/atom:name", NS).text == "Repression Tracker"
    ids = []
    for entry in root.findall("atom:entry", NS):
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"atom:{name}", NS).text, name
        datetime.datetime.fromisoformat(entry.find("atom:updated", NS).text)
        assert entry.find("atom:id", NS).text.startswith("tag:testserver,2026:")
        assert entry.find("atom:link[@rel='alternate']", NS).get("href").startswith("http://")
        ids.append(entry.find("atom:id", NS).text)
    assert len(ids) == len(set(ids))
    return root


def entries(root):
    return root.findall("atom:entry", NS)


def titles(root):
    return [entry.find("atom:title", NS).text for entry in entries(root)]


def set_first_publication(record, when):
    """Pretend `record` was first published at `when` (its history says so)."""
    record.history.filter(state=State.PUBLISHED).update(history_date=when)


@pytest.fixture
def designations():
    law = factories.LawFactory(slug="undesirable-law")
    other_law = factories.LawFactory(slug="agents-law")
    source = factories.SourceFactory(url="https://example.org/register")
    dated = factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Dated Org"),
        law=law,
        decision_date=datetime.date(2025, 5, 19),
    )
    factories.CitationFactory.for_object(dated, source=source)
    recent = factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Undated Recent"),
        law=law,
        decision_date=None,
    )
    early = factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Undated Early"),
        law=law,
        decision_date=None,
    )
    set_first_publication(early, datetime.datetime(2020, 3, 4, 12, tzinfo=datetime.UTC))
    registered = factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Registered Org"),
        law=other_law,
        kind="foreign_agent",
        decision_date=None,
        register_date=datetime.date(2024, 2, 1),
        register_date_precision="month",
    )
    factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Draft Org", state=State.DRAFT), law=law
    )
    factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Draft Designation Org"),
        law=law,
        state=State.DRAFT,
    )
    return {"dated": dated, "recent": recent, "early": early, "registered": registered}


class TestDesignationFeed:
    def test_is_valid_atom_with_every_published_designation_and_no_draft(
        self, client, designations
    ):
        root = atom(client, "/designations/?format=atom")
        assert sorted(titles(root)) == [
            "Dated Org: Undesirable organisation",
            "Registered Org: Foreign agent (unverified)",
            "Undated Early: Undesirable organisation (unverified)",
            "Undated Recent: Undesirable organisation (unverified)",
        ]

    def test_orders_by_date_and_undated_by_first_publication_never_load_date(
        self, client, designations
    ):
        root = atom(client, "/designations/?format=atom")
        # Undated Recent was first published today, after the dated ones; Undated Early in
        # 2020, before them, although all were loaded today.
        assert titles(root) == [
            "Undated Recent: Undesirable organisation (unverified)",
            "Dated Org: Undesirable organisation",
            "Registered Org: Foreign agent (unverified)",
            "Undated Early: Undesirable organisation (unverified)",
        ]
        early = entries(root)[3]
        assert (
            "date unknown; published on this site on 4 March 2020"
            in early.find("atom:summary", NS).text
        )
        assert early.find("atom:published", NS) is None

    def test_dated_entry_is_published_on_its_date_and_links_its_sources(self, client, designations):
        dated = designations["dated"]
        root = atom(client, "/designations/?format=atom")
        entry = next(
            e
            for e in entries(root)
            if e.find("atom:id", NS).text.endswith(f"designation/{dated.pk}")
        )
        assert entry.find("atom:published", NS).text.startswith("2025-05-19T00:00:00")
        related = [link.get("href") for link in entry.findall("atom:link[@rel='related']", NS)]
        assert related == ["https://example.org/register"]
        link = entry.find("atom:link[@rel='alternate']", NS).get("href")
        assert link == f"http://testserver{dated.get_absolute_url()}"
        registered = next(e for e in entries(root) if "Registered" in e.find("atom:title", NS).text)
        assert registered.find("atom:published", NS).text.startswith("2024-02-01")
        assert "registered February 2024" in registered.find("atom:summary", NS).text

    def test_follows_the_filters(self, client, designations):
        root = atom(client, "/designations/?law=agents-law&format=atom")
        assert titles(root) == ["Registered Org: Foreign agent (unverified)"]
        assert root.find("atom:id", NS).text == "http://testserver/designations/?law=agents-law"
        root = atom(client, "/designations/?as_of=2025-06-01&format=atom")
        assert titles(root) == [
            "Dated Org: Undesirable organisation",
            "Registered Org: Foreign agent (unverified)",
        ]

    def test_old_feed_address_gives_the_same_feed(self, client, designations):
        old = ET.fromstring(client.get("/feeds/designations/").content)  # noqa: S314
        new = atom(client, "/designations/?format=atom")
        assert [ET.tostring(e) for e in entries(old)] == [ET.tostring(e) for e in entries(new)]
        assert old.find("atom:id", NS).text == "http://testserver/designations/"

    def test_empty_feed_is_still_valid(self, client):
        root = atom(client, "/designations/?format=atom")
        assert entries(root) == []


class TestCaseEventFeed:
    @pytest.fixture
    def cases(self):
        anna = factories.PersonFactory(slug="anna")
        boris = factories.PersonFactory(slug="boris")
        annas = factories.CaseFactory(title="Anna's case", people=[anna])
        factories.CaseEventFactory(case=annas, kind="arrest", date=datetime.date(2025, 5, 28))
        factories.CaseEventFactory(case=annas, kind="verdict", date=None, description="Sentenced.")
        boris_case = factories.CaseFactory(title="Boris's case", people=[boris])
        factories.CaseEventFactory(case=boris_case, kind="search", date=datetime.date(2024, 1, 9))
        hidden = factories.CaseFactory(title="Hidden case", people=[anna], state=State.REVIEW)
        factories.CaseEventFactory(case=hidden, description="Hidden event")
        return annas

    def test_a_persons_case_events(self, client, cases):
        root = atom(client, "/cases/?person=anna&format=atom")
        # Uncited events rest on nothing a reader can check: marked unverified.
        assert titles(root) == [
            "Anna's case: Verdict (unverified)",
            "Anna's case: Arrest or detention (unverified)",
        ]
        undated = entries(root)[0]
        assert undated.find("atom:published", NS) is None
        assert "date unknown; published on this site on" in undated.find("atom:summary", NS).text

    def test_all_cases_events_and_no_hidden_case(self, client, cases):
        root = atom(client, "/cases/?format=atom")
        assert "Hidden case: Arrest or detention" not in titles(root)
        assert len(entries(root)) == 3
        assert b"Hidden" not in client.get("/cases/?format=atom").content


class TestCaseEventFeedAtScale:
    """More cases than a feed holds: the newest events are found from the newest cases
    (by their latest event date), which must lose none of them, ties included."""

    @staticmethod
    def event_ids(root):
        return [int(e.find("atom:id", NS).text.rsplit("/", 1)[1]) for e in entries(root)]

    @staticmethod
    def expected(**case_filter):
        """The FEED_SIZE newest dated events of the published cases, by brute force."""
        from tracker.feeds import FEED_SIZE
        from tracker.models import CaseEvent

        events = CaseEvent.objects.filter(
            case__state=State.PUBLISHED, date__isnull=False, **case_filter
        )
        return list(events.order_by("-date", "-id").values_list("pk", flat=True)[:FEED_SIZE])

    @staticmethod
    def single_event_cases(count, status="convicted"):
        """`count` cases of one event each, two by two on the same day (ties by date)."""
        start = datetime.date(2025, 1, 1)
        for n in range(count):
            case = factories.CaseFactory(status=status)
            factories.CaseEventFactory(case=case, date=start + datetime.timedelta(days=n // 2))

    def test_ties_at_the_oldest_date_that_can_count(self, client):
        self.single_event_cases(55)
        factories.CaseFactory.create_batch(3)  # no event: last, whatever the database
        self.single_event_cases(3, status="detained")
        expected = self.expected()
        assert len(expected) == 50
        assert self.event_ids(atom(client, "/cases/?format=atom")) == expected
        root = atom(client, "/cases/?status=convicted&format=atom")
        assert self.event_ids(root) == self.expected(case__status="convicted")

    def test_many_events_of_one_case(self, client):
        busy = factories.CaseFactory()
        for day in range(1, 31):
            factories.CaseEventFactory(case=busy, date=datetime.date(2026, 1, day))
        self.single_event_cases(55)
        assert self.event_ids(atom(client, "/cases/?format=atom")) == self.expected()

    def test_no_hidden_case_takes_a_place_or_shows(self, client):
        self.single_event_cases(55)
        hidden = factories.CaseFactory(title="Hidden case", state=State.REVIEW)
        factories.CaseEventFactory(case=hidden, date=datetime.date(2026, 6, 1))
        # Published once (its history says so, and newest), withdrawn since.
        withdrawn = factories.CaseFactory(title="Withdrawn case")
        factories.CaseEventFactory(case=withdrawn, date=None, description="Undated, hidden")
        withdrawn.state = State.WITHDRAWN
        withdrawn.save()
        undated = factories.CaseEventFactory(date=None, description="Undated, shown")
        root = atom(client, "/cases/?format=atom")
        assert self.event_ids(root) == [undated.pk, *self.expected()[:49]]
        content = client.get("/cases/?format=atom").content
        assert b"Hidden" not in content
        assert b"hidden" not in content
