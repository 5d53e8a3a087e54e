"""Finer invalidation (tracker.caching): a write makes stale exactly the kept pages that read
its table, however it is made; every other kept page is still served from the cache."""

import logging

from django.core.cache import cache
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from tests import factories
from tracker import caching
from tracker.choices import State
from tracker.exports import EXPORTERS
from tracker.models import Case, DataVersion, Law, Organisation, Source

TITLE = "Trial of the Memorial lawyers"


class CachedPages(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.memorial = factories.OrganisationFactory(name="Memorial", slug="memorial")
        cls.law = factories.LawFactory(title="Law on foreign agents", slug="foreign-agents")
        cls.case = factories.CaseFactory(title=TITLE, slug="lawyers")
        cls.case.organisations.add(cls.memorial)
        cls.person = factories.PersonFactory(name="Someone")
        cls.case_pages = ["/cases/lawyers/", "/cases/", "/organisations/memorial/", "/"]

    def setUp(self):
        cache.clear()
        self.client = Client(raise_request_exception=True)

    def get(self, url):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        response.queries = len(queries)
        return response

    def warm(self, *urls):
        """Render and keep the pages; each is then served from the cache after one query."""
        pages = {}
        for url in urls:
            self.get(url)
            pages[url] = self.get(url)
            self.assertEqual(pages[url].queries, 1, url)  # the versions
        return pages

    def assert_cached(self, url, before):
        again = self.get(url)
        self.assertEqual(again.queries, 1, url)
        self.assertEqual(again["ETag"], before["ETag"])
        self.assertEqual(again.content, before.content)

    def assert_fresh(self, pages):
        """Each page is rendered again: a new ETag (and new content, checked by the caller)."""
        fresh = {}
        for url, before in pages.items():
            fresh[url] = self.get(url)
            self.assertGreater(fresh[url].queries, 1, url)
            self.assertNotEqual(fresh[url].get("ETag"), before["ETag"], url)
        return fresh


class WritesInvalidateTheirTables(CachedPages):
    def changed(self, change, title="Trial renamed"):
        pages = self.warm(*self.case_pages)
        change(title)
        fresh = self.assert_fresh(pages)
        for url in ["/cases/lawyers/", "/cases/", "/organisations/memorial/"]:
            self.assertContains(fresh[url], title, msg_prefix=url)
            self.assertNotContains(fresh[url], TITLE, msg_prefix=url)

    def test_a_save_as_the_admin_makes_it(self):
        def change(title):
            case = Case.objects.get(pk=self.case.pk)
            case.title = title
            case.save()

        self.changed(change)

    def test_a_bulk_update(self):
        self.changed(lambda title: Case.objects.filter(pk=self.case.pk).update(title=title))

    def test_raw_sql(self):
        def change(title):
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE tracker_case SET title = %s WHERE id = %s", [title, self.case.pk]
                )

        self.changed(change)

    def test_raw_sql_with_many_parameter_sets(self):
        def change(title):
            with connection.cursor() as cursor:
                cursor.executemany(
                    'UPDATE "tracker_case" SET "title" = %s WHERE "id" = %s',
                    [(title, self.case.pk)],
                )

        self.changed(change)

    def test_bulk_create(self):
        pages = self.warm("/cases/", "/")
        Case.objects.bulk_create(
            [
                Case(title=f"Bulk case {i}", slug=f"bulk-{i}", state=State.PUBLISHED)
                for i in range(3)
            ]
        )
        fresh = self.assert_fresh(pages)
        self.assertContains(fresh["/cases/"], "Bulk case 2")

    def test_delete(self):
        pages = self.warm("/cases/", "/organisations/memorial/", "/")
        Case.objects.filter(pk=self.case.pk).delete()
        fresh = self.assert_fresh(pages)
        self.assertNotContains(fresh["/cases/"], TITLE)
        self.assertNotContains(fresh["/organisations/memorial/"], TITLE)
        self.assertEqual(self.get("/cases/lawyers/").status_code, 404)

    def test_a_many_to_many_change(self):
        pages = self.warm("/organisations/memorial/", "/cases/lawyers/")
        self.case.organisations.remove(self.memorial)
        fresh = self.assert_fresh(pages)
        self.assertNotContains(fresh["/organisations/memorial/"], TITLE)

    def test_unpublished_records_never_leak_through_a_kept_page(self):
        pages = self.warm(*self.case_pages)
        case = Case.objects.get(pk=self.case.pk)
        case.state = State.REVIEW
        case.save()
        self.assertEqual(self.get("/cases/lawyers/").status_code, 404)
        pages.pop("/cases/lawyers/")
        for url, response in self.assert_fresh(pages).items():
            self.assertNotContains(response, TITLE, msg_prefix=url)

    def test_unpublished_records_never_leak_through_a_kept_export(self):
        """A whole export is kept as a page is (`tracker.exports._download`): once a record it
        listed, or showed through another, is withdrawn, it is written again without it."""
        designation = factories.DesignationFactory(organisation=self.memorial, law=self.law)
        factories.CitationFactory.for_object(designation)
        urls = [f"/cases/?format={name}" for name in EXPORTERS]
        urls += ["/designations/?format=csv", "/organisations/?format=json"]
        pages = self.warm(*urls)
        for url, response in pages.items():
            self.assertFalse(response.streaming, url)
            self.assertIn(b"Memorial", response.content, url)
        for record in (Case.objects.get(pk=self.case.pk), self.memorial):
            record.state = State.WITHDRAWN
            record.save()
        for url, response in self.assert_fresh(pages).items():
            self.assertNotIn(TITLE.encode(), response.getvalue(), url)
            self.assertNotIn(b"Memorial", response.getvalue(), url)

    def test_unpublishing_in_bulk(self):
        pages = self.warm("/cases/", "/organisations/memorial/")
        Case.objects.filter(pk=self.case.pk).set_state(State.DRAFT)
        for url, response in self.assert_fresh(pages).items():
            self.assertNotContains(response, TITLE, msg_prefix=url)

    def test_an_explicit_bump_makes_every_page_stale(self):
        pages = self.warm(*self.case_pages, "/laws/", "/people/")
        DataVersion.bump()
        self.assert_fresh(pages)


class OtherTablesLeaveKeptPagesValid(CachedPages):
    def test_a_change_to_a_table_a_page_did_not_read(self):
        pages = self.warm("/organisations/memorial/", "/people/")
        # The list of people shows no cases; an organisation's page no one's other names.
        Case.objects.filter(pk=self.case.pk).update(title="Trial renamed")
        self.assertContains(self.get("/cases/lawyers/"), "Trial renamed")
        self.assert_cached("/people/", pages["/people/"])
        pages = self.warm("/organisations/memorial/")  # it shows the case: rendered again
        self.person.aliases.create(name="Another name")
        self.assert_cached("/organisations/memorial/", pages["/organisations/memorial/"])

    def test_citations_of_one_kind_leave_pages_valid_when_another_kind_changes(self):
        """A feed and an export of designations show their citations, tested against the
        designations' rule alone (`published(cited=…)`): an edit to a case leaves them kept,
        an edit to a cited source does not."""
        designation = factories.DesignationFactory(organisation=self.memorial, law=self.law)
        citation = factories.CitationFactory.for_object(designation)
        urls = ["/feeds/designations/", "/designations/?format=csv", "/laws/?format=json"]
        factories.CitationFactory.for_object(self.law, source=citation.source)
        pages = self.warm(*urls)
        Case.objects.filter(pk=self.case.pk).update(title="Trial renamed")
        for url in urls:
            self.assert_cached(url, pages[url])
        Source.objects.filter(pk=citation.source_id).update(url="https://example.org/moved")
        for url, response in self.assert_fresh(pages).items():
            self.assertIn(b"https://example.org/moved", response.getvalue(), url)

    def test_a_repeat_visit_to_a_still_valid_page_gets_304(self):
        page = self.warm("/people/")["/people/"]
        Case.objects.filter(pk=self.case.pk).update(title="Trial renamed")
        with CaptureQueriesContext(connection) as queries:
            again = self.client.get("/people/", headers={"if-none-match": page["ETag"]})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(len(queries), 1)


class VersionsAreReadBeforeThePage(CachedPages):
    def test_a_change_during_rendering_leaves_the_page_stale(self):
        render = caching._render

        def render_then_change(*args):
            rendered = render(*args)  # from the old title
            Case.objects.filter(pk=self.case.pk).update(title="Renamed meanwhile")
            return rendered

        caching._render = render_then_change
        try:
            first = self.get("/cases/lawyers/")
        finally:
            caching._render = render
        self.assertContains(first, TITLE)
        again = self.get("/cases/lawyers/")
        self.assertGreater(again.queries, 1)
        self.assertContains(again, "Renamed meanwhile")


class Fragments(CachedPages):
    def test_fragments_are_kept_per_version_of_their_own_tables(self):
        renders = []

        def fragment():
            renders.append(1)
            return "<ul>laws</ul>"

        def show():
            return caching.cached_fragment("laws", [Law], fragment)

        show()
        show()
        Case.objects.filter(pk=self.case.pk).update(title="Trial renamed")
        Organisation.objects.create(name="Sova", slug="sova")
        show()
        self.assertEqual(len(renders), 1)
        Law.objects.filter(pk=self.law.pk).update(title="Renamed law")
        show()
        self.assertEqual(len(renders), 2)
        DataVersion.bump()
        show()
        self.assertEqual(len(renders), 3)

    def test_fragments_also_depend_on_the_tables_they_read(self):
        renders = []

        def fragment():
            renders.append(1)
            return Organisation.objects.count()

        def show():
            return caching.cached_fragment("counted", [Law], fragment)

        self.assertEqual(show(), 1)
        Case.objects.filter(pk=self.case.pk).update(title="Trial renamed")
        self.assertEqual(show(), 1)
        self.assertEqual(len(renders), 1)
        Organisation.objects.create(name="Sova", slug="sova")
        self.assertEqual(show(), 2)  # not among its models, but read by it
        self.assertEqual(len(renders), 2)

    def test_values_are_kept_per_key_while_the_tables_they_read_keep_their_versions(self):
        computed = []

        def compute(keys):
            computed.append(sorted(keys))
            count = Organisation.objects.count()
            return {key: key * count for key in keys}

        def show(keys):
            return caching.cached_values("times", keys, [Law], compute)

        self.assertEqual(show([1, 2]), {1: 1, 2: 2})
        self.assertEqual(show([2, 3]), {2: 2, 3: 3})  # 2 is kept; 3 alone is computed
        Case.objects.filter(pk=self.case.pk).update(title="Trial renamed")
        self.assertEqual(show([1, 3]), {1: 1, 3: 3})
        self.assertEqual(computed, [[1, 2], [3]])
        Organisation.objects.create(name="Sova", slug="sova")  # read, though not a model
        self.assertEqual(show([1]), {1: 2})
        Law.objects.filter(pk=self.law.pk).update(title="Renamed law")
        show([1])
        self.assertEqual(computed, [[1, 2], [3], [1], [1]])

    def test_a_page_depends_on_the_tables_of_the_values_it_took(self):
        caching.cached_values("counted", [1], [Law], lambda keys: {1: Organisation.objects.count()})
        with caching._recording() as reads:
            caching.cached_values("counted", [1], [Law], lambda keys: {})
        self.assertIn(Organisation._meta.db_table, reads)
        self.assertIn(Law._meta.db_table, reads)

    def test_versions_of_models_change_with_their_many_to_many_tables(self):
        def versions():
            return caching._versions(caching.tables_of([Case]))

        before = versions()
        self.case.organisations.remove(self.memorial)
        self.assertNotEqual(versions(), before)

    def test_a_request_reads_the_versions_once(self):
        token = caching._snapshot.set(DataVersion.snapshot())
        try:
            with self.assertNumQueries(0):
                caching.cached_values("counts", [1], [Case], lambda keys: {1: 2})
                caching.cached_fragment("laws", [Law], lambda: "x")
                caching.cached_fragment("laws", [Law], lambda: "x")
        finally:
            caching._snapshot.reset(token)

    def test_an_editors_request_reads_the_versions_once_if_at_all(self):
        token = caching._snapshot.set(caching._Later())
        try:
            with self.assertNumQueries(1):
                caching.cached_fragment("laws", [Law], lambda: "x")
                caching.cached_fragment("cases", [Case], lambda: "x")
        finally:
            caching._snapshot.reset(token)


# Nothing listens on port 1: every cache call fails as it would with Redis down.
UNREACHABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@override_settings(CACHES=UNREACHABLE)
class CacheOutage(CachedPages):
    def setUp(self):
        self.client = Client(raise_request_exception=True)

    def test_pages_are_rendered_without_the_cache(self):
        with self.assertLogs("tracker.caching", logging.WARNING):
            for url in [*self.case_pages, "/laws/", "/about/"]:
                for _ in range(2):
                    response = self.get(url)
                    self.assertEqual(response.status_code, 200, url)
        self.assertContains(self.get("/cases/lawyers/"), TITLE)


class Writers(TestCase):
    def advisory_locks(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    def test_every_writer_takes_one_lock_before_the_version_rows(self):
        """Two saves bumping the versions of the same tables in opposite orders would
        deadlock on PostgreSQL; each takes one transaction lock first instead. (SQLite lets
        one writer at a time write in any case.)"""
        if connection.vendor != "postgresql":
            self.assertEqual(connection.vendor, "sqlite")
            return
        self.assertEqual(self.advisory_locks(), 0)
        factories.OrganisationFactory()
        self.assertEqual(self.advisory_locks(), 1)
