"""Editors' flows through the admin: add, validate, publish, protect sources."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests import factories
from tracker.models import Designation, Organisation, Source

pytestmark = pytest.mark.django_db


def designation_form(organisation, law, source, **overrides):
    """POST data for the designation add form, with one inline citation."""
    data = {
        "organisation": organisation.pk,
        "kind": "undesirable",
        "law": law.pk,
        "authority": "Prosecutor General's Office",
        "state": "draft",
        "decision_date": "2025-11-13",
        "decision_date_precision": "day",
        "register_date": "2025-12-01",
        "register_date_precision": "day",
        "stated_reasons": "",
        "revoked_date": "",
        "revoked_date_precision": "day",
        "revocation_note": "",
        "tracker-citation-content_type-object_id-TOTAL_FORMS": "1",
        "tracker-citation-content_type-object_id-INITIAL_FORMS": "0",
        "tracker-citation-content_type-object_id-MIN_NUM_FORMS": "0",
        "tracker-citation-content_type-object_id-MAX_NUM_FORMS": "1000",
        "tracker-citation-content_type-object_id-0-source": source.pk,
        "tracker-citation-content_type-object_id-0-quote": "declared undesirable",
        "tracker-citation-content_type-object_id-0-note": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def parts():
    return (
        factories.OrganisationFactory(name="FIDH", slug="fidh"),
        factories.LawFactory(),
        factories.SourceFactory(),
    )


def test_editor_adds_a_designation_which_is_public_once_published(
    client, editor_client, publisher_client, parts
):
    organisation, law, source = parts
    response = editor_client.post(
        "/admin/tracker/designation/add/", designation_form(organisation, law, source)
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    designation = Designation.objects.get()
    assert designation.citations.get().source == source
    assert designation.register_date == datetime.date(2025, 12, 1)

    # A draft is not public.
    assert "Undesirable organisation" not in client.get("/organisations/fidh/").content.decode()
    assert "FIDH" not in client.get("/feeds/designations/").content.decode()

    response = publisher_client.post(
        "/admin/tracker/designation/",
        {
            "action": "publish",
            "_selected_action": [designation.pk],
            "loaded_at": timezone.now().isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get("/organisations/fidh/").content.decode()
    assert "Undesirable organisation" in page
    assert "13 November 2025" in page
    assert "FIDH" in client.get("/feeds/designations/").content.decode()


def test_admin_refuses_register_date_before_decision(editor_client, parts):
    organisation, law, source = parts
    response = editor_client.post(
        "/admin/tracker/designation/add/",
        designation_form(organisation, law, source, register_date="2025-11-01"),
    )
    assert response.status_code == 200
    assert "The register date cannot be before the decision date." in response.content.decode()
    assert not Designation.objects.exists()


def test_admin_refuses_a_day_for_a_month_precision_date(editor_client, parts):
    organisation, law, source = parts
    response = editor_client.post(
        "/admin/tracker/designation/add/",
        designation_form(
            organisation,
            law,
            source,
            decision_date="2013-11-20",
            decision_date_precision="month",
            register_date="",
        ),
    )
    assert response.status_code == 200
    assert "known only to the month" in response.content.decode()
    assert not Designation.objects.exists()


def test_admin_refuses_a_duplicate_designation(editor_client, parts):
    organisation, law, source = parts
    factories.DesignationFactory(
        organisation=organisation, law=law, decision_date=datetime.date(2025, 11, 13)
    )
    response = editor_client.post(
        "/admin/tracker/designation/add/", designation_form(organisation, law, source)
    )
    assert response.status_code == 200
    assert "already has this designation" in response.content.decode()
    assert Designation.objects.count() == 1


def test_admin_refuses_to_delete_a_cited_source(editor_client):
    organisation = factories.OrganisationFactory(name="Memorial")
    citation = factories.CitationFactory.for_object(organisation)
    url = f"/admin/tracker/source/{citation.source.pk}/delete/"
    response = editor_client.get(url)
    content = response.content.decode()
    assert "would require deleting the following protected related objects" in content
    assert f"{citation.source.title} → organisation: Memorial" in content  # names what cites it
    response = editor_client.post(url, {"post": "yes"})
    assert Source.objects.filter(pk=citation.source.pk).exists()


def test_admin_adds_organisation_with_alias_and_citation(publisher_client):
    source = factories.SourceFactory()
    response = publisher_client.post(
        "/admin/tracker/organisation/add/",
        {
            "name": "Human Rights Watch",
            "slug": "human-rights-watch",
            "short_name": "HRW",
            "kind": "ngo",
            "country": "",
            "website": "",
            "description": "",
            "state": "published",
            "aliases-TOTAL_FORMS": "1",
            "aliases-INITIAL_FORMS": "0",
            "aliases-0-name": "Хьюман Райтс Вотч",
            "aliases-0-kind": "original",
            "designations-TOTAL_FORMS": "0",
            "designations-INITIAL_FORMS": "0",
            "tracker-citation-content_type-object_id-TOTAL_FORMS": "1",
            "tracker-citation-content_type-object_id-INITIAL_FORMS": "0",
            "tracker-citation-content_type-object_id-0-source": source.pk,
            "tracker-citation-content_type-object_id-0-quote": "",
            "tracker-citation-content_type-object_id-0-note": "",
        },
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="human-rights-watch")
    assert list(organisation.aliases.values_list("name", flat=True)) == ["Хьюман Райтс Вотч"]
    assert organisation.citations.count() == 1
    assert organisation.citations.get().content_type == ContentType.objects.get_for_model(
        Organisation
    )


# Every model with its own admin pages.
ADMIN_MODELS = [
    "organisation",
    "designation",
    "law",
    "lawamendment",
    "penalty",
    "person",
    "case",
    "caseevent",
    "source",
    "citation",
]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_pages_load_for_every_model(editor_client, model):
    factories.CaseEventFactory()
    factories.CitationFactory.for_object(factories.DesignationFactory())
    assert editor_client.get(f"/admin/tracker/{model}/").status_code == 200
    assert editor_client.get(f"/admin/tracker/{model}/add/").status_code == 200
    assert editor_client.get(f"/admin/tracker/{model}/?q=%F0%9F%95%8A'\"").status_code == 200


def test_autocomplete_finds_organisations_by_alias(editor_client):
    organisation = factories.OrganisationFactory(name="Amnesty International")
    factories.OrganisationAliasFactory(organisation=organisation, name="AIL")
    response = editor_client.get(
        "/admin/autocomplete/",
        {
            "term": "AIL",
            "app_label": "tracker",
            "model_name": "designation",
            "field_name": "organisation",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Amnesty International"]


def test_admin_requires_login(client):
    response = client.get("/admin/tracker/designation/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_inline_designation_dates_are_checked_against_each_other(publisher_client):
    designation = factories.DesignationFactory(
        decision_date=datetime.date(2025, 11, 13), register_date=datetime.date(2025, 12, 1)
    )
    organisation = designation.organisation
    prefix = "designations"
    response = publisher_client.post(
        f"/admin/tracker/organisation/{organisation.pk}/change/",
        {
            "name": organisation.name,
            "slug": organisation.slug,
            "short_name": "",
            "kind": "ngo",
            "country": "",
            "website": "",
            "description": "",
            "state": "published",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": designation.pk,
            f"{prefix}-0-organisation": organisation.pk,
            f"{prefix}-0-kind": "undesirable",
            f"{prefix}-0-law": designation.law.pk,
            f"{prefix}-0-authority": "",
            f"{prefix}-0-state": "published",
            f"{prefix}-0-decision_date": "2025-12-20",
            f"{prefix}-0-decision_date_precision": "day",
            f"{prefix}-0-register_date": "2025-12-01",
            f"{prefix}-0-register_date_precision": "day",
            f"{prefix}-0-revoked_date": "",
            f"{prefix}-0-revoked_date_precision": "day",
            "tracker-citation-content_type-object_id-TOTAL_FORMS": "0",
            "tracker-citation-content_type-object_id-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "The register date cannot be before the decision date." in response.content.decode()
    designation.refresh_from_db()
    assert designation.decision_date == datetime.date(2025, 11, 13)
