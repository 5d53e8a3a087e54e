"""The schema the migrations leave: indexes made by hand (in SQL, per database) included."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# Indexes Django's model state does not know (NULLS LAST on PostgreSQL, which SQLite refuses;
# an expression): made in SQL by migrations 0013, 0017, 0018 and 0019. When SQLite adds a
# column with a default, Django remakes the table and drops them.
HAND_MADE_INDEXES = {
    "sqlite": {
        "tracker_case": {"case_list_by_date", "case_list_by_status_date"},
        "tracker_designation": {"designation_list_by_date"},
    },
    "postgresql": {
        "tracker_case": {"case_list_newest", "case_list_oldest", "case_list_by_status_date"},
        "tracker_designation": {"designation_list_by_date"},
        "tracker_source": {"source_list_order_nulls_last"},
    },
}


def test_indexes_made_by_hand_outlive_every_later_migration():
    with connection.cursor() as cursor:
        for table, names in HAND_MADE_INDEXES[connection.vendor].items():
            present = set(connection.introspection.get_constraints(cursor, table))
            assert names <= present, f"{table} lost {sorted(names - present)}"
