"""DesignationFilter: each field, and `as_of` with partial dates and revocations."""

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tracker.choices import DatePrecision, DesignationKind, State
from tracker.filters import DesignationFilter
from tracker.models import Designation

pytestmark = pytest.mark.django_db

D = datetime.date


def filtered(**data):
    """The published designations the filter selects, and its form errors."""
    filterset = DesignationFilter(
        {key: str(value) for key, value in data.items()}, queryset=Designation.objects.published()
    )
    return set(filterset.qs), filterset.form.errors


def designation(decision=None, precision=DatePrecision.DAY, **kwargs):
    kwargs.setdefault("decision_date", decision)
    kwargs.setdefault("decision_date_precision", precision)
    return factories.DesignationFactory(**kwargs)


class TestFields:
    @pytest.fixture
    def world(self):
        law = factories.LawFactory(slug="undesirable-law", jurisdiction="RU")
        by_law = factories.LawFactory(slug="by-law", jurisdiction="BY")
        hq_de = factories.OrganisationFactory(
            name="Memorial Stiftung", slug="memorial", country="DE"
        )
        hq_us = factories.OrganisationFactory(
            name="Free Press Fund", slug="free-press", country="US"
        )
        return {
            "ru": designation(
                D(2021, 3, 1), organisation=hq_de, law=law, authority="Prosecutor General's Office"
            ),
            "fa": designation(
                D(2023, 5, 2),
                organisation=hq_us,
                law=by_law,
                kind=DesignationKind.FOREIGN_AGENT,
                authority="Ministry of Justice",
            ),
            "undated": designation(None, organisation=hq_us, law=None, register_date=D(2022, 1, 5)),
            "draft_law": designation(
                D(2021, 6, 1),
                organisation=hq_de,
                law=factories.LawFactory(slug="draft-law", state=State.DRAFT),
                kind=DesignationKind.EXTREMIST,
            ),
        }

    def test_type(self, world):
        assert filtered(type="foreign_agent") == ({world["fa"]}, {})

    def test_authority_contains_any_case(self, world):
        assert filtered(authority="ministry OF") == ({world["fa"]}, {})

    def test_law_by_slug(self, world):
        assert filtered(law="undesirable-law") == ({world["ru"]}, {})

    def test_unpublished_law_is_refused(self, world):
        found, errors = filtered(law="draft-law")
        assert "law" in errors
        # Refused and ignored: the draft law's designation is not public anyway.
        assert world["draft_law"] not in found

    def test_country_is_the_organisations_headquarters(self, world):
        assert filtered(country="DE") == ({world["ru"]}, {})

    def test_jurisdiction_is_the_designating_state_from_the_law(self, world):
        assert filtered(jurisdiction="BY") == ({world["fa"]}, {})
        assert filtered(jurisdiction="RU") == ({world["ru"]}, {})

    def test_year_of_decision_or_of_register_when_undated(self, world):
        assert filtered(year=2021) == ({world["ru"]}, {})
        assert filtered(year=2022) == ({world["undated"]}, {})

    def test_organisation_by_slug(self, world):
        assert filtered(organisation="free-press") == ({world["fa"], world["undated"]}, {})

    def test_unknown_organisation_is_reported(self, world):
        _, errors = filtered(organisation="no-such-org")
        assert "organisation" in errors

    def test_search_names_the_organisation(self, world):
        assert filtered(q="memorial") == ({world["ru"]}, {})

    def test_bad_values_are_reported(self, world):
        _, errors = filtered(type="bogus", year="20x1", country="XX")
        assert set(errors) == {"type", "year", "country"}


class TestAsOf:
    def in_force(self, day):
        found, errors = filtered(as_of=day)
        assert errors == {}
        return found

    def test_exact_day_counts_from_its_day(self):
        d = designation(D(2024, 11, 13))
        assert d not in self.in_force("2024-11-12")
        assert d in self.in_force("2024-11-13")

    def test_month_only_counts_from_the_end_of_its_month(self):
        d = designation(D(2024, 11, 1), DatePrecision.MONTH)
        assert d not in self.in_force("2024-11-01")
        assert d not in self.in_force("2024-11-29")
        assert d in self.in_force("2024-11-30")
        assert d in self.in_force("2025-01-01")

    def test_year_only_counts_from_31_december(self):
        d = designation(D(2024, 1, 1), DatePrecision.YEAR)
        assert d not in self.in_force("2024-12-30")
        assert d in self.in_force("2024-12-31")

    def test_approximate_year_counts_only_once_the_next_year_is_over(self):
        d = designation(D(2024, 1, 1), DatePrecision.APPROXIMATE)
        assert d not in self.in_force("2025-12-30")
        assert d in self.in_force("2025-12-31")

    def test_undated_decision_counts_from_the_register_date(self):
        d = designation(
            None, register_date=D(2023, 3, 1), register_date_precision=DatePrecision.MONTH
        )
        assert d not in self.in_force("2023-03-15")
        assert d in self.in_force("2023-04-01")

    def test_without_any_date_never_counts(self):
        d = designation(None)
        assert d not in self.in_force("2026-01-01")

    def test_revoked_stops_counting_on_its_revocation_day(self):
        d = designation(D(2020, 1, 10), revoked_date=D(2022, 6, 15))
        assert d in self.in_force("2022-06-14")
        assert d not in self.in_force("2022-06-15")
        assert d not in self.in_force("2023-01-01")

    def test_revocation_known_to_the_month_stops_it_for_the_whole_month(self):
        d = designation(
            D(2020, 1, 10), revoked_date=D(2022, 6, 1), revoked_date_precision=DatePrecision.MONTH
        )
        assert d in self.in_force("2022-05-31")
        assert d not in self.in_force("2022-06-01")

    def test_approximate_revocation_stops_it_from_the_year_before(self):
        d = designation(
            D(2018, 1, 10),
            revoked_date=D(2022, 1, 1),
            revoked_date_precision=DatePrecision.APPROXIMATE,
        )
        assert d in self.in_force("2020-12-31")
        assert d not in self.in_force("2021-01-01")

    def test_future_date_is_reported_and_ignored(self):
        d = designation(D(2020, 1, 10))
        tomorrow = timezone.now().date() + datetime.timedelta(days=1)
        found, errors = filtered(as_of=tomorrow.isoformat())
        assert "future" in errors["as_of"][0]
        assert d in found

    @pytest.mark.parametrize("value", ["2024-13-01", "13.11.2024", "yesterday", "2024-11"])
    def test_malformed_date_is_reported(self, value):
        _, errors = filtered(as_of=value)
        assert errors["as_of"] == ["Enter a date as YYYY-MM-DD, e.g. 2024-11-13."]

    def test_today_is_accepted(self):
        d = designation(D(2020, 1, 10))
        assert d in self.in_force(timezone.now().date().isoformat())
