"""Finer invalidation (tracker.caching): a write makes stale exactly the kept pages that read
its table, however it is made; every other kept page is still served from the cache."""

import logging
import re
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.test_query_counts import populate
from tracker import caching, charts, home
from tracker.caching import key_columns
from tracker.choices import State
from tracker.exports import EXPORTERS
from tracker.models import Case, DataVersion, Law, Organisation, Source
from tracker.views import PublicListView

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


class KeysVersions(CachedPages):
    """A table's keys (`caching.key_columns`) have a version of their own, which an edit of a
    text leaves as it was; the parts kept by it (`by_keys`) outlive such edits."""

    def changed(self, write):
        """The names of the versions `write()` bumps."""
        before = DataVersion.snapshot()
        write()
        after = DataVersion.snapshot()
        return {name for name, number in after.items() if before.get(name) != number}

    def save_case(self, **values):
        case = Case.objects.get(pk=self.case.pk)
        for name, value in values.items():
            setattr(case, name, value)
        case.save()

    def test_an_edit_of_text_leaves_the_keys_version(self):
        self.assertEqual(key_columns(Case)[:2], ("id", "state"))
        self.assertNotIn("title", key_columns(Case))
        self.assertNotIn("updated_at", key_columns(Case))
        self.assertIn("status", key_columns(Case))  # a text with choices: a filter
        bumped = self.changed(lambda: self.save_case(title="Trial renamed", summary="New"))
        self.assertIn("tracker_case", bumped)
        self.assertNotIn("tracker_case.keys", bumped)
        bumped = self.changed(
            lambda: Case.objects.filter(pk=self.case.pk).update(title="Renamed again")
        )
        self.assertEqual(bumped & {"tracker_case", "tracker_case.keys"}, {"tracker_case"})

    def test_a_change_of_a_key_bumps_both(self):
        for values in ({"state": State.REVIEW}, {"status": "exile"}, {"country": "BY"}):
            with self.subTest(values):
                bumped = self.changed(lambda values=values: self.save_case(**values))
                self.assertTrue({"tracker_case", "tracker_case.keys"} <= bumped)

    def test_rows_added_or_removed_bump_both(self):
        writes = {
            "an insert": lambda: factories.CaseFactory(slug="another"),
            "a delete": lambda: Case.objects.filter(pk=self.case.pk).delete(),
            "an update of many rows": lambda: Case.objects.filter(title=TITLE).update(
                title="Renamed"
            ),
            "many parameter sets": lambda: connection.cursor().executemany(
                'UPDATE "tracker_case" SET "title" = %s WHERE "tracker_case"."id" = %s',
                [("Renamed", self.case.pk)],
            ),
        }
        for name, write in writes.items():
            with self.subTest(name):
                self.assertIn("tracker_case.keys", self.changed(write))

    def test_a_part_kept_by_keys_outlives_an_edit_of_text_not_a_change_of_a_key(self):
        renders = []

        def count():
            renders.append(1)
            return Case.objects.published().count()

        def show():
            return caching.cached_fragment("cases", [Case], count, by_keys=True)

        self.assertEqual(show(), 1)
        self.save_case(title="Trial renamed", summary="Another summary")
        self.assertEqual(show(), 1)
        self.assertEqual(len(renders), 1)
        self.save_case(state=State.WITHDRAWN)
        self.assertEqual(show(), 0)
        self.assertEqual(len(renders), 2)

    def test_a_part_within_a_part_kept_by_keys_keeps_its_own_versions(self):
        def titles():
            return caching.cached_fragment(
                "titles", [], lambda: list(Case.objects.values_list("title", flat=True))
            )

        def show():
            return caching.cached_fragment("outer", [Law], titles, by_keys=True)

        self.assertEqual(show(), [TITLE])
        self.save_case(title="Trial renamed")
        self.assertEqual(show(), ["Trial renamed"])

    def test_the_home_pages_numbers_are_not_counted_again_after_an_edit_of_text(self):
        self.warm("/")
        self.save_case(summary="Another summary")
        with mock.patch("tracker.home.counts", side_effect=home.counts) as counted:
            self.assertGreater(self.get("/").queries, 1)  # its latest records: drawn again
            counted.assert_not_called()
            self.save_case(state=State.WITHDRAWN)
            self.get("/")
            counted.assert_called()

    def test_a_laws_chart_is_not_counted_again_after_an_edit_of_text(self):
        factories.ChargeFactory(case=self.case, law=self.law)
        factories.CaseEventFactory(case=self.case)  # in 2025: the case's year
        page = self.law.get_absolute_url()
        self.warm(page)
        self.save_case(summary="Another summary")
        with mock.patch("tracker.views.charts.law_chart", side_effect=charts.law_chart) as drawn:
            self.assertIn(b"Another summary", self.get(self.case.get_absolute_url()).content)
            self.assertIn("2025: Cases — 1", self.get(page).content.decode())
            drawn.assert_not_called()
            self.save_case(state=State.WITHDRAWN)
            self.assertNotIn("Cases — 1", self.get(page).content.decode())
            drawn.assert_called_once()


class KeysVersionsOutsideTransactions(TransactionTestCase):
    def test_a_save_outside_a_transaction_bumps_both(self):
        """Without a transaction another writer could change the row's keys between the
        reads of them and the save (`caching._row_keys`): both versions are bumped."""
        case = factories.CaseFactory()
        self.assertFalse(connection.in_atomic_block)
        before = DataVersion.snapshot()
        case.title = "Renamed"
        case.save()
        after = DataVersion.snapshot()
        for name in ("tracker_case", "tracker_case.keys"):
            self.assertGreater(after[name], before[name], name)


@override_settings(PAGE_CACHE=False)
class PartsKeptByKeysReadKeysAlone(TestCase):
    """Every statement a part kept by keys runs (`by_keys`: the home page's numbers and
    charts, the numbers beside a list's rows, a law's chart) names no column but the keys of
    its tables; otherwise an edit of that column would leave the part stale."""

    @classmethod
    def setUpTestData(cls):
        populate(2)

    def statements_kept_by_keys(self, urls):
        statements = []

        def note(execute, sql, params, many, context):
            reads = caching._reads.get()
            if reads is not None and reads.by_keys:
                statements.append(sql)
            return execute(sql, params, many, context)

        client = Client()
        with connection.execute_wrapper(note):
            for url in urls:
                cache.clear()
                self.assertEqual(client.get(url).status_code, 200, url)
        return statements

    def test_their_statements_name_keys_alone(self):
        lists = [f"/{name}/" for name in LISTS_WITH_ROW_COUNTS]
        law = Law.objects.published().filter(charges__isnull=False).first().get_absolute_url()
        pages = ["/", "/ru/", *lists, law, f"/ru{law}"]  # a law's page: its chart
        statements = self.statements_kept_by_keys(pages)
        self.assertGreaterEqual(len(statements), 6 + len(lists))
        for sql in statements:
            with self.subTest(sql=sql[:200]):
                self.assertEqual(columns_beyond_keys(sql), set())

    def test_the_pages_rendered_here_are_those_of_every_part_kept_by_keys(self):
        """A new part kept by keys elsewhere needs its pages among those rendered above."""
        root = Path(settings.BASE_DIR)
        keeping = {
            str(path.relative_to(root))
            for path in (root / "tracker").rglob("*.py")
            if "by_keys=True" in path.read_text() and path != Path(caching.__file__)
        }
        self.assertEqual(keeping, {"tracker/home.py", "tracker/views.py"})

    def test_a_statement_naming_a_text_is_found(self):
        sql = str(Case.objects.filter(state=State.PUBLISHED).values("title").query)
        self.assertEqual(columns_beyond_keys(sql), {"tracker_case.title"})
        sql = str(Case.objects.filter(people__name="x").order_by().values("status").query)
        self.assertEqual(columns_beyond_keys(sql), {"tracker_person.name"})


# The lists that show numbers beside their rows (`PublicListView.row_counts`).
LISTS_WITH_ROW_COUNTS = [
    view.queryset.model._meta.verbose_name_plural
    for view in PublicListView.__subclasses__()
    if view.row_counts
]
NAMED_TABLE = re.compile(
    r'(?:FROM|JOIN)\s+"(\w+)"(?:\s+(?:AS\s+)?(?!(?:ON|WHERE|INNER|LEFT|GROUP|ORDER|LIMIT)\b)(\w+))?',
    re.IGNORECASE,
)
DERIVED_TABLE = re.compile(r"\)\s+(?:AS\s+)?(\w+)", re.IGNORECASE)
QUALIFIED_COLUMN = re.compile(r'(?:"(\w+)"|\b([A-Za-z_]\w*))\.(?:"(\w+)"|([A-Za-z_]\w*))')


def columns_beyond_keys(sql):
    """{table.column} of the columns `sql` names that are not among their tables' keys.

    Django names the tables of subqueries with aliases it reuses (`U0` is one table in one
    EXISTS, another in the next): a column named through an alias is a key only if it is one
    in every table of that alias that has such a column (an unknown one counts as beyond)."""
    tables = {}
    for table, alias in NAMED_TABLE.findall(sql):
        tables.setdefault(table, set()).add(table)
        tables.setdefault(alias or table, set()).add(table)
    derived = set(DERIVED_TABLE.findall(sql))
    models = caching.models_by_table()
    beyond = set()
    for quoted, plain, quoted_column, plain_column in QUALIFIED_COLUMN.findall(sql):
        qualifier, column = quoted or plain, quoted_column or plain_column
        if qualifier in derived:
            continue  # a subquery's own column, checked within it
        having = [
            table
            for table in tables.get(qualifier, ())
            if column in {field.column for field in models[table]._meta.concrete_fields}
        ]
        beyond |= {
            f"{table}.{column}" for table in having if column not in key_columns(models[table])
        }
        if not having:
            beyond.add(f"{qualifier}.{column}")
    return beyond


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
