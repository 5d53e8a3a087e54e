"""Model rules: partial dates, constraints, protected sources."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.db.models.signals import pre_init
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.test_admin import designation_form
from tracker.models import Case, Designation, Penalty, Source, format_partial_date
from tracker.models.base import QuickLoad

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("precision", "value", "shown"),
    [
        ("day", datetime.date(2025, 11, 13), "13 November 2025"),
        ("month", datetime.date(2013, 11, 1), "November 2013"),
        ("year", datetime.date(2024, 1, 1), "2024"),
        ("approximate", datetime.date(2024, 1, 1), "c. 2024"),
        ("day", None, "date unknown"),
    ],
)
def test_partial_date_is_shown_no_more_precisely_than_known(precision, value, shown):
    assert format_partial_date(value, precision) == shown


def test_month_precision_rejects_a_specific_day():
    designation = factories.DesignationFactory.build(
        organisation=factories.OrganisationFactory(),
        law=factories.LawFactory(),
        decision_date=datetime.date(2013, 11, 20),
        decision_date_precision="month",
    )
    with pytest.raises(ValidationError) as error:
        designation.full_clean()
    assert "known only to the month" in str(error.value.message_dict["decision_date"])


def test_year_precision_requires_first_of_january():
    event = factories.CaseEventFactory.build(
        case=factories.CaseFactory(), date=datetime.date(2022, 3, 1), date_precision="year"
    )
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "known only to the year" in str(error.value.message_dict["date"])


def test_future_dates_are_rejected():
    event = factories.CaseEventFactory.build(
        case=factories.CaseFactory(), date=datetime.date.today() + datetime.timedelta(days=30)
    )
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "in the future" in str(error.value.message_dict["date"])


def test_register_date_before_decision_is_refused_by_validation_and_database():
    designation = factories.DesignationFactory.build(
        organisation=factories.OrganisationFactory(),
        law=factories.LawFactory(),
        decision_date=datetime.date(2025, 11, 13),
        register_date=datetime.date(2025, 11, 1),
    )
    with pytest.raises(ValidationError) as error:
        designation.full_clean()
    assert "register date cannot be before the decision date" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        designation.save()
    assert not Designation.objects.exists()


def test_same_designation_twice_is_refused():
    first = factories.DesignationFactory()
    duplicate = Designation(
        organisation=first.organisation,
        law=first.law,
        kind=first.kind,
        decision_date=first.decision_date,
    )
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already has this designation" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_source_url_is_unique_but_many_sources_may_have_none():
    factories.SourceFactory(url="")
    factories.SourceFactory(url="")
    factories.SourceFactory(url="https://example.org/a")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SourceFactory(url="https://example.org/a")
    assert Source.objects.count() == 3


def test_cited_source_cannot_be_deleted():
    organisation = factories.OrganisationFactory()
    citation = factories.CitationFactory.for_object(organisation)
    with pytest.raises(ProtectedError):
        citation.source.delete()
    assert Source.objects.filter(pk=citation.source.pk).exists()


def test_deleting_a_record_removes_its_citations_but_not_the_source():
    organisation = factories.OrganisationFactory()
    citation = factories.CitationFactory.for_object(organisation)
    organisation.delete()
    assert Source.objects.filter(pk=citation.source.pk).exists()
    assert not citation.source.citations.exists()


def test_penalty_must_state_something():
    law = factories.LawFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Penalty.objects.create(law=law, kind="criminal", applies_to="participation")
    with pytest.raises(IntegrityError), transaction.atomic():
        Penalty.objects.create(law=law, kind="administrative", applies_to="x", max_fine=15000)
    penalty = Penalty.objects.create(
        law=law, kind="criminal", applies_to="leaders", max_prison_months=72
    )
    assert penalty.prison_display == "6 years"


def test_published_designations_hide_drafts_and_drafts_of_their_organisation():
    visible = factories.DesignationFactory()
    factories.DesignationFactory(state="draft")
    factories.DesignationFactory(organisation=factories.OrganisationFactory(state="draft"))
    factories.DesignationFactory(law=factories.LawFactory(state="draft"))
    assert list(Designation.objects.published()) == [visible]


# (decision date, its precision, later date, its precision, accepted): a month or a year
# covers all of it; an approximate year is never held against the other date.
DATE_ORDERS = {
    "exact decision, register month of the same month": (
        ("2025-11-13", "day", "2025-11-01", "month", True)
    ),
    "exact decision, register month of an earlier month": (
        ("2025-11-13", "day", "2025-10-01", "month", False)
    ),
    "exact decision, register year of the same year": (
        ("2025-11-13", "day", "2025-01-01", "year", True)
    ),
    "exact decision, register year of an earlier year": (
        ("2025-11-13", "day", "2024-01-01", "year", False)
    ),
    "month decision, exact register later that month": (
        ("2025-11-01", "month", "2025-11-05", "day", True)
    ),
    "month decision, exact register the month before": (
        ("2025-11-01", "month", "2025-10-31", "day", False)
    ),
    "year decision, register month of that year": (
        ("2025-01-01", "year", "2025-03-01", "month", True)
    ),
    "exact dates in order": ("2025-11-13", "day", "2025-11-13", "day", True),
    "exact dates out of order": ("2025-11-13", "day", "2025-11-12", "day", False),
    "approximate register year before the decision": (
        ("2025-11-13", "day", "2024-01-01", "approximate", True)
    ),
    "approximate decision year after the register": (
        ("2025-01-01", "approximate", "2024-05-01", "day", True)
    ),
}


def dated_designation(decided, decided_precision, later_field, later, later_precision):
    return factories.DesignationFactory.build(
        organisation=factories.OrganisationFactory(),
        law=factories.LawFactory(),
        decision_date=datetime.date.fromisoformat(decided),
        decision_date_precision=decided_precision,
        **{
            later_field: datetime.date.fromisoformat(later),
            f"{later_field}_precision": later_precision,
        },
    )


@pytest.mark.parametrize("later_field", ["register_date", "revoked_date"])
@pytest.mark.parametrize(
    ("decided", "decided_precision", "later", "later_precision", "accepted"),
    DATE_ORDERS.values(),
    ids=DATE_ORDERS.keys(),
)
def test_partial_dates_are_ordered_by_their_range_in_validation_and_database(
    later_field, decided, decided_precision, later, later_precision, accepted
):
    designation = dated_designation(decided, decided_precision, later_field, later, later_precision)
    if accepted:
        designation.full_clean()
        designation.save()
        stored = Designation.objects.get(pk=designation.pk)
        assert getattr(stored, later_field) == datetime.date.fromisoformat(later)
        assert getattr(stored, f"{later_field}_precision") == later_precision
    else:
        with pytest.raises(ValidationError) as error:
            designation.full_clean()
        message = (
            "register date cannot be before the decision date"
            if later_field == "register_date"
            else "cannot be revoked before it was decided"
        )
        assert message in str(error.value)
        with pytest.raises(IntegrityError, match="not_before_decision_date"), transaction.atomic():
            designation.save()
        assert not Designation.objects.exists()


def test_date_order_holds_for_bulk_create_and_update():
    designation = dated_designation("2025-11-13", "day", "register_date", "2025-11-01", "month")
    Designation.objects.bulk_create([designation])
    stored = Designation.objects.get()
    refused = "register_date_not_before_decision_date"
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        Designation.objects.filter(pk=stored.pk).update(register_date=datetime.date(2025, 10, 1))
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        Designation.objects.filter(pk=stored.pk).update(register_date_precision="day")
    stored.refresh_from_db()
    assert (stored.register_date, stored.register_date_precision) == (
        datetime.date(2025, 11, 1),
        "month",
    )


@pytest.mark.parametrize(
    ("register_date", "register_precision", "saved"),
    [("2025-11-01", "month", True), ("2025-10-01", "month", False), ("2025-01-01", "year", True)],
)
def test_admin_form_orders_a_month_or_year_register_date_by_its_range(
    editor_client, register_date, register_precision, saved
):
    organisation, law, source = (
        factories.OrganisationFactory(),
        factories.LawFactory(),
        factories.SourceFactory(),
    )
    response = editor_client.post(
        "/admin/tracker/designation/add/",
        designation_form(
            organisation,
            law,
            source,
            decision_date="2025-11-13",
            register_date=register_date,
            register_date_precision=register_precision,
        ),
    )
    page = response.content.decode()
    if saved:
        assert response.status_code == 302
        designation = Designation.objects.get()
        assert (designation.register_date, designation.register_date_precision) == (
            datetime.date.fromisoformat(register_date),
            register_precision,
        )
    else:
        assert response.status_code == 200
        assert "The register date cannot be before the decision date." in page
        assert not Designation.objects.exists()


class QuickLoadTests(TestCase):
    """Instances built by `QuickLoad.from_db()` are those Django's own `from_db()` builds."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)

    @staticmethod
    def quick_models():
        models = [
            m for m in apps.get_app_config("tracker").get_models() if issubclass(m, QuickLoad)
        ]
        assert models
        return models

    @staticmethod
    def loaded(queryset):
        """(fields, adding, db, deferred) of each row of `queryset`, by pk."""
        return {
            row.pk: (
                {name: value for name, value in vars(row).items() if name != "_state"},
                row._state.adding,
                row._state.db,
                row.get_deferred_fields(),
            )
            for row in queryset
        }

    def test_quick_instances_are_djangos(self):
        calls = []

        def receiver(sender, **kwargs):
            calls.append(sender)

        for model in self.quick_models():
            for queryset in (model.objects.all(), model.objects.only("pk")):
                with self.subTest(model=model.__name__, query=str(queryset.query)[:60]):
                    quick = self.loaded(queryset)
                    self.assertTrue(quick, f"the seed has no {model.__name__}")
                    pre_init.connect(receiver)  # Django's own from_db(), which sends it
                    try:
                        django = self.loaded(queryset.all())
                    finally:
                        pre_init.disconnect(receiver)
                    self.assertEqual(quick, django)
                    self.assertIn(model, calls)

    def test_deferred_columns_load_when_read(self):
        case = Case.objects.only("pk").first()
        self.assertIn("title", case.get_deferred_fields())
        self.assertEqual(case.title, Case.objects.get(pk=case.pk).title)

    def test_loaded_instances_are_not_being_added(self):
        case = Case.objects.first()
        case.full_clean()  # a record being added would find its own slug taken
        with CaptureQueriesContext(connection) as queries:
            case.save()
        self.assertFalse([q for q in queries if q["sql"].startswith('INSERT INTO "tracker_case"')])
