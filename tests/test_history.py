"""Every change is kept: who changed what and when, a diff, revert, and a public change log."""

import datetime

import pytest

from tests import factories
from tests.admin_forms import admin_form_data
from tests.test_editors import change_form, page_text, run_action
from tracker.choices import State
from tracker.history import change_log
from tracker.models import Designation, Organisation

pytestmark = pytest.mark.django_db


def history_url(record, version=None):
    url = f"/admin/tracker/{record._meta.model_name}/{record.pk}/history/"
    return f"{url}{version.history_id}/" if version else url


def test_an_admin_change_is_recorded_with_its_author_and_diff(editor, editor_client):
    organisation = factories.OrganisationFactory(name="Memorial", description="First text.")
    change_form(editor_client, organisation, description="Second text.")

    latest = organisation.history.latest()
    assert latest.history_user == editor
    assert latest.description == "Second text."
    assert latest.diff_against(latest.prev_record).changed_fields == ["description"]

    page = page_text(editor_client.get(history_url(organisation)))
    assert "First text." in page and "Second text." in page  # old → new, in the Changes column
    assert "editor" in page  # who: shown to editors, never to the public


def test_revert_to_an_earlier_version(editor_client):
    organisation = factories.OrganisationFactory(name="Memorial", description="Right.")
    first = organisation.history.latest()
    change_form(editor_client, organisation, description="Vandalised.")
    organisation.refresh_from_db()
    assert organisation.description == "Vandalised."

    shown = editor_client.get(history_url(organisation, first))
    assert shown.status_code == 200
    assert "Right." in page_text(shown)
    response = editor_client.post(history_url(organisation, first), admin_form_data(shown))
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.description == "Right."
    # The revert is itself a change in the history: nothing is lost.
    assert list(organisation.history.values_list("description", flat=True)) == [
        "Right.",
        "Vandalised.",
        "Right.",
    ]


def test_an_editor_cannot_publish_by_reverting(editor_client):
    organisation = factories.OrganisationFactory(state=State.PUBLISHED)
    published = organisation.history.latest()
    organisation.state = State.DRAFT
    organisation.save()
    shown = editor_client.get(history_url(organisation, published))
    response = editor_client.post(history_url(organisation, published), admin_form_data(shown))
    assert "Only a publisher can publish" in page_text(response)
    organisation.refresh_from_db()
    assert organisation.state == State.DRAFT


def test_bulk_actions_go_through_the_history(publisher, publisher_client):
    organisations = factories.OrganisationFactory.create_batch(3, state=State.REVIEW)
    run_action(publisher_client, "organisation", "publish", *organisations)
    for organisation in organisations:
        latest = organisation.history.latest()
        assert (latest.state, latest.history_user) == (State.PUBLISHED, publisher)
        assert latest.history_change_reason == "Moved to published"


def test_deletion_is_recorded(publisher_client):
    designation = factories.DesignationFactory()
    publisher_client.post(f"/admin/tracker/designation/{designation.pk}/delete/", {"post": "yes"})
    assert not Designation.objects.filter(pk=designation.pk).exists()
    deleted = Designation.history.filter(id=designation.pk).latest()
    assert deleted.history_type == "-"


def test_public_change_log_shows_what_and_when_but_never_who(client, editor_client):
    organisation = factories.OrganisationFactory(slug="memorial", description="One.")
    change_form(editor_client, organisation, description="Two.", short_name="MHRC")
    page = page_text(client.get("/organisations/memorial/"))
    assert "Last updated" in page
    assert "Record created" in page
    assert "Changed: short name, description" in page
    assert "editor" not in page
    assert "Two." in page and "One." not in page  # values are not listed, only field names


def test_change_log_describes_state_moves_and_stays_one_query(django_assert_num_queries):
    organisation = factories.OrganisationFactory(state=State.DRAFT)
    Organisation.objects.filter(pk=organisation.pk).set_state(State.REVIEW)
    Organisation.objects.filter(pk=organisation.pk).set_state(State.PUBLISHED)
    for number in range(25):
        organisation.description = f"Version {number}"
        organisation.save()
    with django_assert_num_queries(1):
        log = change_log(organisation)
    assert len(log) == 20
    assert log[0].summary == "Changed: description"
    summaries = [entry.summary for entry in change_log(organisation, limit=100)]
    assert summaries[-3:] == ["Published", "Sent to review", "Record created"]
    assert [entry.date for entry in log] == sorted((entry.date for entry in log), reverse=True)


def test_change_log_never_names_what_the_tracker_derives():
    # A case's event dates are kept from its events (Case.refresh_event_dates), not edited:
    # a later save that carries them along changed nothing an editor did.
    case = factories.CaseFactory(summary="First.")
    factories.CaseEventFactory(case=case, date=datetime.date(2024, 3, 5))
    case.refresh_from_db()
    case.summary = "Second."
    case.save()
    entries = change_log(case)
    assert entries[0].summary == "Changed: summary"
