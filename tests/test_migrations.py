"""The schema the migrations leave: what they make in SQL, per database (indexes, the search
engine's tables, triggers and columns), included."""

import importlib
import re

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

# The search engine's own structures (tracker.search.backends), made in SQL by migration 0002:
# on SQLite, an FTS5 table per kind kept in step with tracker_searchentry by triggers; on
# PostgreSQL, generated tsvector columns with GIN indexes per kind. Without them a record
# saved later would be missing from search, or every search would fail.
SEARCH = importlib.import_module("tracker.migrations.0002_search")

# Indexes Django's model state does not know (NULLS LAST on PostgreSQL, which SQLite refuses;
# an expression): made in SQL by migrations 0013, 0017, 0018, 0019, 0023 and 0024. When SQLite
# adds a column with a default, Django remakes the table and drops them.
MADE_ONE_BY_ONE = {
    "sqlite": {"tracker_case": {"case_list_by_date"}},
    "postgresql": {
        "tracker_case": {"case_list_newest", "case_list_oldest"},
        "tracker_source": {"source_list_order_nulls_last"},
    },
}
# Migrations that list theirs as INDEXES = {vendor: [(name, table, columns)]}.
MADE_BY_LIST = (
    "0019_list_date_indexes",
    "0023_list_filter_indexes",
    "0024_covering_list_indexes",
)


def listed_indexes(vendor):
    """(name, table, columns) of every index the migrations of MADE_BY_LIST make on `vendor`,
    in the order they make them."""
    for migration in MADE_BY_LIST:
        yield from importlib.import_module(f"tracker.migrations.{migration}").INDEXES[vendor]


def hand_made_indexes(vendor):
    """{table: {index name}} of the indexes made in SQL on `vendor`."""
    indexes = {table: set(names) for table, names in MADE_ONE_BY_ONE[vendor].items()}
    for name, table, _columns in listed_indexes(vendor):
        indexes.setdefault(table, set()).add(name)
    return indexes


# What each statement of migration 0002 makes, as (type, name).
MADE = re.compile(r"^(?:CREATE|ALTER TABLE \S+ ADD) (VIRTUAL TABLE|TRIGGER|INDEX|COLUMN) (\w+)")


def search_structures(vendor):
    """{(type, name)} of the structures migration 0002 makes on `vendor`, read from its own
    statements."""
    statements = {"sqlite": SEARCH.sqlite_statements, "postgresql": SEARCH.postgresql_statements}
    made = set()
    for statement in statements[vendor]():
        if match := MADE.match(statement):
            kind, name = match.groups()
            made.add(("table" if kind == "VIRTUAL TABLE" else kind.lower(), name))
    return made


def present_search_structures(cursor, vendor):
    if vendor == "sqlite":
        cursor.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        return set(cursor.fetchall())
    columns = connection.introspection.get_table_description(cursor, "tracker_searchentry")
    indexes = connection.introspection.get_constraints(cursor, "tracker_searchentry")
    return {*(("column", column.name) for column in columns), *(("index", i) for i in indexes)}


def test_the_search_structures_outlive_every_later_migration():
    made = search_structures(connection.vendor)
    assert len(made) >= 12  # the statements were read: tables and triggers, or columns and indexes
    with connection.cursor() as cursor:
        missing = made - present_search_structures(cursor, connection.vendor)
    assert missing == set()


def test_indexes_made_by_hand_outlive_every_later_migration():
    with connection.cursor() as cursor:
        for table, names in hand_made_indexes(connection.vendor).items():
            present = set(connection.introspection.get_constraints(cursor, table))
            assert names <= present, f"{table} lost {sorted(names - present)}"


def latest_definitions(vendor):
    """{index name: its columns as the last migration listing it made it}."""
    return {name: columns for name, _table, columns in listed_indexes(vendor)}


def index_statements(cursor):
    """{index name: its CREATE statement as the database keeps it}."""
    if connection.vendor == "sqlite":
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
    else:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    return dict(cursor.fetchall())


def bare(sql):
    """SQL without quotes or spaces: PostgreSQL writes its statements back without quotes."""
    return re.sub(r'[\s"]', "", sql)


def test_indexes_made_again_have_their_latest_columns():
    """An index made again wider (0024 after 0019 and 0023) is the wider one: a list's late
    pages are tested from it alone."""
    with connection.cursor() as cursor:
        statements = index_statements(cursor)
    for name, columns in latest_definitions(connection.vendor).items():
        assert bare(statements[name]).endswith(f"({bare(columns)})"), name
    # The model's own index of the source list holds the filters' columns too.
    assert bare(statements["source_list_order"]).endswith("state,kind,reliability)")


def test_no_two_indexes_of_a_table_are_the_same():
    """Two indexes on the same columns in the same order cost every write twice for one."""
    twins = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("tracker").get_models(include_auto_created=True):
            table = model._meta.db_table
            seen = {}
            for name, constraint in connection.introspection.get_constraints(cursor, table).items():
                # Not compared: PostgreSQL's "_like" twin of a text index (another operator
                # class, for LIKE) and the search's GIN indexes (one per kind, each partial).
                if (
                    not constraint["index"]
                    or None in constraint["columns"]
                    or name.endswith("_like")
                    or constraint.get("type") == "gin"
                ):
                    continue
                shape = (tuple(constraint["columns"]), tuple(constraint.get("orders") or ()))
                if shape in seen:
                    twins.append(f"{table}: {seen[shape]} and {name} on {', '.join(shape[0])}")
                seen.setdefault(shape, name)
    assert twins == []
