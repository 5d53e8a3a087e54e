"""No lost edits: a save over a record changed since its form was opened is refused, explained,
and can then be made on purpose; list actions leave alone what changed since the list was loaded."""

import datetime
import html

import pytest
from django.db import connection
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.admin_forms import admin_form_data, change_url
from tests.conftest import logged_in, staff_member
from tests.test_editors import page_text, run_action
from tests.test_history import history_url
from tracker.choices import State
from tracker.concurrency import VERSION_FIELD, make_token, stored
from tracker.models import Citation, Organisation, OrganisationAlias
from tracker.roles import PUBLISHER

pytestmark = pytest.mark.django_db

CHANGED = "was changed since you opened the form"
CITATIONS = "tracker-citation-content_type-object_id"


@pytest.fixture
def anna_client(django_user_model):
    """A second publisher, who saves first."""
    return logged_in(staff_member(django_user_model, "anna", PUBLISHER))


def opened(client, record):
    """The POST data of the record's change form as `client` opened it."""
    return admin_form_data(client.get(change_url(record)))


def save(client, record, data, **changes):
    return client.post(change_url(record), {**data, **changes})


def version_count(record):
    return type(record).history.filter(id=record.pk).count()


@pytest.fixture
def memorial():
    return factories.OrganisationFactory(name="Memorial", description="Founded in 1989.")


# The record itself


def test_the_second_save_is_refused_naming_what_changed_who_and_when(
    publisher_client, anna_client, memorial
):
    mine = opened(publisher_client, memorial)
    versions = version_count(memorial)
    theirs = opened(anna_client, memorial)
    assert save(anna_client, memorial, theirs, description="Closed in 2021.").status_code == 302
    response = save(publisher_client, memorial, mine, short_name="MHRC")

    assert response.status_code == 200
    page = page_text(response)
    assert f"This organisation {CHANGED}" in page
    assert "by anna, " in page
    assert "description “Founded in 1989.” → “Closed in 2021.”" in page
    assert "save again to keep your version" in page
    # Nothing overwritten, nothing added but the first save's version.
    memorial.refresh_from_db()
    assert (memorial.description, memorial.short_name) == ("Closed in 2021.", "")
    assert version_count(memorial) == versions + 1
    # The editor's input is kept; the field they left alone shows what is stored now.
    form = response.context["adminform"].form
    assert form["short_name"].value() == "MHRC"
    assert form["description"].value() == "Closed in 2021."
    assert "Fields you had left as they were now show what is stored: description" in page


def test_saving_again_after_review_keeps_both_changes(publisher_client, anna_client, memorial):
    mine = opened(publisher_client, memorial)
    save(anna_client, memorial, opened(anna_client, memorial), description="Closed in 2021.")
    conflict = save(publisher_client, memorial, mine, short_name="MHRC")

    again = admin_form_data(conflict)
    assert again[VERSION_FIELD] == make_token(
        Organisation, memorial.pk, stored(Organisation, memorial.pk)
    )
    response = publisher_client.post(change_url(memorial), again)
    assert response.status_code == 302
    memorial.refresh_from_db()
    assert (memorial.description, memorial.short_name) == ("Closed in 2021.", "MHRC")


def test_a_field_both_changed_keeps_the_second_editors_input_until_saved_again(
    publisher_client, anna_client, memorial
):
    mine = opened(publisher_client, memorial)
    save(anna_client, memorial, opened(anna_client, memorial), description="Anna's text.")
    conflict = save(publisher_client, memorial, mine, description="My text.")
    # Django's engine writes ' as &#x27;, Jinja2 (Django's own form templates) as &#39;.
    assert "description “Founded in 1989.” → “Anna's text.”" in html.unescape(page_text(conflict))
    assert conflict.context["adminform"].form["description"].value() == "My text."
    memorial.refresh_from_db()
    assert memorial.description == "Anna's text."

    assert publisher_client.post(change_url(memorial), admin_form_data(conflict)).status_code == 302
    memorial.refresh_from_db()
    assert memorial.description == "My text."


def test_a_change_without_a_history_row_is_still_a_conflict(publisher_client, memorial):
    mine = opened(publisher_client, memorial)
    Organisation.objects.filter(pk=memorial.pk).update(website="https://memo.ru")
    response = save(publisher_client, memorial, mine, short_name="MHRC")
    assert "its history does not say by whom" in page_text(response)
    memorial.refresh_from_db()
    assert memorial.short_name == ""


def test_a_save_that_changed_nothing_is_no_conflict(publisher_client, anna_client, memorial):
    alias = factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    mine = opened(publisher_client, memorial)
    save(anna_client, memorial, opened(anna_client, memorial))  # only updated_at changes
    assert save(publisher_client, memorial, mine, short_name="MHRC").status_code == 302
    memorial.refresh_from_db()
    assert memorial.short_name == "MHRC"
    # A row left as it was is not saved again: its version is not a change.
    assert version_count(alias) == 1


def test_many_to_many_changes_are_conflicts_and_named(publisher_client, anna_client):
    case = factories.CaseFactory(title="The case")
    person = factories.PersonFactory(name="Oleg Orlov")
    mine = opened(publisher_client, case)
    save(anna_client, case, opened(anna_client, case), people=[person.pk])
    response = save(publisher_client, case, mine, court="Golovinsky court")
    assert f"This case {CHANGED}" in page_text(response)
    assert "people: added Oleg Orlov" in page_text(response)
    case.refresh_from_db()
    assert case.court == ""
    # Saving again keeps both: the people were left alone in this form.
    assert publisher_client.post(change_url(case), admin_form_data(response)).status_code == 302
    case.refresh_from_db()
    assert case.court == "Golovinsky court"
    assert list(case.people.all()) == [person]


def test_a_form_without_a_version_is_refused(publisher_client, memorial):
    data = opened(publisher_client, memorial)
    del data[VERSION_FIELD]
    response = save(publisher_client, memorial, data, short_name="MHRC")
    assert response.status_code == 200
    assert "This form does not say which version of the organisation you opened" in page_text(
        response
    )
    memorial.refresh_from_db()
    assert memorial.short_name == ""
    # The page shown carries the version now stored: saving it again is a choice made knowingly.
    assert publisher_client.post(change_url(memorial), admin_form_data(response)).status_code == 302


@pytest.mark.parametrize("token", ["", "nonsense", "12:", ":abc", "x" * 500])
def test_a_malformed_version_is_refused_without_an_error_page(publisher_client, memorial, token):
    response = save(
        publisher_client,
        memorial,
        opened(publisher_client, memorial),
        short_name="MHRC",
        **{VERSION_FIELD: token},
    )
    assert response.status_code == 200
    assert "does not say which version" in page_text(response)


def test_explicit_fields_and_fieldsets_render_the_version(publisher_client):
    designation = factories.DesignationFactory()
    event = factories.CaseEventFactory()
    for record, name in [
        (designation, VERSION_FIELD),  # DesignationAdmin.fieldsets
        (designation.organisation, f"designations-0-{VERSION_FIELD}"),  # DesignationInline.fields
        (event.case, f"events-0-{VERSION_FIELD}"),  # CaseEventInline.fields
    ]:
        page = page_text(publisher_client.get(change_url(record)))
        assert f'type="hidden" name="{name}" value="' in page
        assert f'name="{name}" value=""' not in page


def test_a_record_deleted_meanwhile_leads_to_its_history(publisher_client, anna_client, memorial):
    mine = opened(publisher_client, memorial)
    anna_client.post(f"/admin/tracker/organisation/{memorial.pk}/delete/", {"post": "yes"})
    response = save(publisher_client, memorial, mine, short_name="MHRC")
    assert response.status_code == 302
    assert response["Location"] == history_url(memorial)
    page = page_text(publisher_client.get(response["Location"]))
    assert "This organisation was deleted by anna, " in page
    assert not Organisation.objects.filter(pk=memorial.pk).exists()


def test_the_stored_row_is_read_under_a_lock(publisher_client, memorial):
    mine = opened(publisher_client, memorial)
    with CaptureQueriesContext(connection) as queries:
        save(publisher_client, memorial, mine, short_name="MHRC")
    if connection.vendor == "sqlite":
        # No SELECT … FOR UPDATE: a transaction takes the write lock when it begins.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)


# Inline rows


def alias_key(data, name):
    """The form prefix of the alias row showing `name`."""
    return next(key.removesuffix("-name") for key, value in data.items() if value == name)


def test_an_inline_row_changed_meanwhile_is_a_conflict(publisher_client, anna_client, memorial):
    alias = factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    mine = opened(publisher_client, memorial)
    theirs = opened(anna_client, memorial)
    save(anna_client, memorial, theirs, **{f"{alias_key(theirs, 'OVD')}-name": "OVD-Info"})
    response = save(publisher_client, memorial, mine, short_name="MHRC")

    page = page_text(response)
    assert f"This organisation alias {CHANGED}" in page
    assert "name “OVD” → “OVD-Info”" in page
    memorial.refresh_from_db()
    assert memorial.short_name == ""
    # Saving again keeps both: the row was left as it was, so it shows the stored name.
    assert publisher_client.post(change_url(memorial), admin_form_data(response)).status_code == 302
    memorial.refresh_from_db()
    assert memorial.short_name == "MHRC"
    assert OrganisationAlias.objects.get(pk=alias.pk).name == "OVD-Info"


def test_a_citation_quote_changed_meanwhile_is_a_conflict(publisher_client, anna_client):
    designation = factories.DesignationFactory()
    citation = factories.CitationFactory.for_object(designation, quote="Declared undesirable.")
    mine = opened(publisher_client, designation)
    save(
        anna_client,
        designation,
        opened(anna_client, designation),
        **{f"{CITATIONS}-0-quote": "Declared undesirable on 19 May."},
    )
    response = save(publisher_client, designation, mine, **{f"{CITATIONS}-0-quote": "Mine."})
    page = page_text(response)
    assert f"This citation {CHANGED}" in page
    assert "quote “Declared undesirable.” → “Declared undesirable on 19 May.”" in page
    citation.refresh_from_db()
    assert citation.quote == "Declared undesirable on 19 May."
    assert Citation.history.filter(id=citation.pk).count() == 2


def test_an_inline_row_added_meanwhile_is_no_conflict(publisher_client, memorial):
    mine = opened(publisher_client, memorial)
    factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    assert save(publisher_client, memorial, mine, short_name="MHRC").status_code == 302
    assert list(memorial.aliases.values_list("name", flat=True)) == ["OVD"]


def test_an_inline_row_deleted_meanwhile_is_a_conflict(publisher_client, anna_client, memorial):
    alias = factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    mine = opened(publisher_client, memorial)
    theirs = opened(anna_client, memorial)
    save(anna_client, memorial, theirs, **{f"{alias_key(theirs, 'OVD')}-DELETE": "on"})
    assert not OrganisationAlias.objects.filter(pk=alias.pk).exists()

    response = save(publisher_client, memorial, mine, short_name="MHRC")
    assert response.status_code == 200
    page = page_text(response)
    assert "This organisation alias was deleted since you opened the form — by anna, " in page
    assert "Select a valid choice" not in page
    memorial.refresh_from_db()
    assert memorial.short_name == ""
    # Saving again leaves it deleted and saves the rest.
    assert publisher_client.post(change_url(memorial), admin_form_data(response)).status_code == 302
    memorial.refresh_from_db()
    assert memorial.short_name == "MHRC"
    assert not memorial.aliases.exists()


def test_a_row_deleted_meanwhile_is_dropped_even_if_its_input_no_longer_fits(
    publisher_client, memorial
):
    designation = factories.DesignationFactory(organisation=memorial, authority="Court")
    mine = opened(publisher_client, memorial)
    # Deleted, and entered anew with the same decision by someone else.
    law, decision_date = designation.law, designation.decision_date
    designation.delete()
    factories.DesignationFactory(organisation=memorial, law=law, decision_date=decision_date)
    response = save(publisher_client, memorial, mine, short_name="MHRC")
    assert "This designation was deleted since you opened the form" in page_text(response)
    # Saved again, the row is dropped, not checked as a new designation (a duplicate).
    assert publisher_client.post(change_url(memorial), admin_form_data(response)).status_code == 302
    memorial.refresh_from_db()
    assert memorial.short_name == "MHRC"
    assert memorial.designations.get().authority == "Prosecutor General's Office"


def test_deleting_a_row_changed_meanwhile_is_refused(publisher_client, anna_client, memorial):
    alias = factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    mine = opened(publisher_client, memorial)
    theirs = opened(anna_client, memorial)
    save(anna_client, memorial, theirs, **{f"{alias_key(theirs, 'OVD')}-name": "OVD-Info"})
    response = save(publisher_client, memorial, mine, **{f"{alias_key(mine, 'OVD')}-DELETE": "on"})
    assert response.status_code == 200
    assert f"OVD-Info {CHANGED}" in page_text(response)
    assert "It was not deleted" in page_text(response)
    assert OrganisationAlias.objects.filter(pk=alias.pk).exists()
    # Deleting it anyway, knowingly.
    assert publisher_client.post(change_url(memorial), admin_form_data(response)).status_code == 302
    assert not OrganisationAlias.objects.filter(pk=alias.pk).exists()


def test_an_inline_row_without_a_version_is_refused(publisher_client, memorial):
    factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    data = opened(publisher_client, memorial)
    key = alias_key(data, "OVD")
    del data[f"{key}-{VERSION_FIELD}"]
    response = save(publisher_client, memorial, data, **{f"{key}-name": "OVD-Info"})
    assert "does not say which version of the organisation alias" in page_text(response)
    assert memorial.aliases.get().name == "OVD"


# Revert


def test_revert_is_checked_against_the_record_as_stored(publisher_client, anna_client, memorial):
    first = memorial.history.latest()
    save(publisher_client, memorial, opened(publisher_client, memorial), description="Second.")
    shown = publisher_client.get(history_url(memorial, first))
    mine = admin_form_data(shown)
    save(anna_client, memorial, opened(anna_client, memorial), short_name="MHRC")

    response = publisher_client.post(history_url(memorial, first), mine)
    assert response.status_code == 200
    page = page_text(response)
    assert f"This organisation {CHANGED}" in page
    assert "short name (empty) → “MHRC”" in page
    memorial.refresh_from_db()
    assert (memorial.description, memorial.short_name) == ("Second.", "MHRC")

    # Saving again reverts the description and keeps the short name changed meanwhile.
    response = publisher_client.post(history_url(memorial, first), admin_form_data(response))
    assert response.status_code == 302
    memorial.refresh_from_db()
    assert (memorial.description, memorial.short_name) == ("Founded in 1989.", "MHRC")


def test_revert_of_a_record_deleted_meanwhile_says_so_then_restores(
    publisher_client, anna_client, memorial
):
    first = memorial.history.latest()
    mine = admin_form_data(publisher_client.get(history_url(memorial, first)))
    anna_client.post(f"/admin/tracker/organisation/{memorial.pk}/delete/", {"post": "yes"})
    response = publisher_client.post(history_url(memorial, first), mine)
    assert response.status_code == 200
    assert "This organisation was deleted since you opened the form — by anna, " in page_text(
        response
    )
    assert not Organisation.objects.filter(pk=memorial.pk).exists()
    response = publisher_client.post(history_url(memorial, first), admin_form_data(response))
    assert response.status_code == 302
    assert Organisation.objects.get(pk=memorial.pk).description == "Founded in 1989."


@pytest.mark.django_db(transaction=True)
def test_a_revert_is_checked_and_saved_in_one_transaction(django_user_model):
    """simple-history's revert view has no transaction of its own: the lock would not hold."""
    client = logged_in(staff_member(django_user_model, "reverter", PUBLISHER))
    organisation = factories.OrganisationFactory(description="Right.")
    first = organisation.history.latest()
    organisation.description = "Wrong."
    organisation.save()
    data = admin_form_data(client.get(history_url(organisation, first)))
    in_transaction = []

    def saving(sender, **kwargs):
        in_transaction.append(connection.in_atomic_block)

    pre_save.connect(saving, sender=Organisation)
    try:
        response = client.post(history_url(organisation, first), data)
    finally:
        pre_save.disconnect(saving, sender=Organisation)
    assert response.status_code == 302
    assert in_transaction == [True]
    organisation.refresh_from_db()
    assert organisation.description == "Right."


# List actions


def test_a_bulk_publish_leaves_records_changed_since_the_list_was_loaded(publisher_client):
    changed, unchanged = factories.OrganisationFactory.create_batch(2, state=State.REVIEW)
    page = publisher_client.get("/admin/tracker/organisation/")
    loaded_at = page.context["action_form"]["loaded_at"].value()
    assert f'name="loaded_at" value="{loaded_at}"' in page_text(page)
    Organisation.objects.filter(pk=changed.pk).update(
        description="Edited after the list was loaded.",
        updated_at=datetime.datetime.fromisoformat(loaded_at) + datetime.timedelta(seconds=1),
    )

    response = publisher_client.post(
        "/admin/tracker/organisation/",
        {
            "action": "publish",
            "_selected_action": [changed.pk, unchanged.pk],
            "loaded_at": loaded_at,
        },
        follow=True,
    )
    page = page_text(response)
    assert "1 record(s) moved to published." in page
    assert f"changed since you opened the list: {changed.name}. Review them and try again." in page
    changed.refresh_from_db()
    unchanged.refresh_from_db()
    assert (changed.state, unchanged.state) == (State.REVIEW, State.PUBLISHED)


def test_a_bulk_move_on_a_searched_list(publisher_client, memorial):
    """A search across aliases makes the list's query DISTINCT, which cannot be locked as such."""
    factories.OrganisationAliasFactory(organisation=memorial, name="OVD")
    factories.OrganisationAliasFactory(organisation=memorial, name="OVD-Info")
    page = publisher_client.get("/admin/tracker/organisation/?q=OVD")
    response = publisher_client.post(
        "/admin/tracker/organisation/?q=OVD",
        {
            "action": "withdraw",
            "_selected_action": [memorial.pk],
            "select_across": "1",
            "loaded_at": page.context["action_form"]["loaded_at"].value(),
        },
        follow=True,
    )
    assert "1 record(s) moved to withdrawn." in page_text(response)
    memorial.refresh_from_db()
    assert memorial.state == State.WITHDRAWN


def test_a_bulk_move_after_a_form_save_leaves_the_record(publisher_client, anna_client, memorial):
    loaded_at = (
        publisher_client.get("/admin/tracker/organisation/")
        .context["action_form"]["loaded_at"]
        .value()
    )
    save(anna_client, memorial, opened(anna_client, memorial), description="Corrected.")
    response = run_action(
        publisher_client,
        "organisation",
        "withdraw",
        memorial,
        loaded_at=datetime.datetime.fromisoformat(loaded_at),
    )
    assert "0 record(s) moved to withdrawn." in page_text(response)
    memorial.refresh_from_db()
    assert memorial.state == State.PUBLISHED


def test_a_bulk_action_that_does_not_say_when_the_list_was_loaded_is_refused(publisher_client):
    draft = factories.OrganisationFactory(state=State.REVIEW)
    for loaded_at in ({}, {"loaded_at": "yesterday"}, {"loaded_at": "2026-13-45T99:00:00"}):
        response = publisher_client.post(
            "/admin/tracker/organisation/",
            {"action": "publish", "_selected_action": [draft.pk], **loaded_at},
            follow=True,
        )
        assert response.status_code == 200
        assert "does not say when the list was opened" in page_text(response)
    draft.refresh_from_db()
    assert draft.state == State.REVIEW


def test_versions_cost_no_query_per_inline_row(publisher_client):
    law = factories.LawFactory()

    def add_rows(n):
        for i in range(n):
            law.aliases.create(name=f"Alias {law.aliases.count()}")
            law.penalties.create(kind="criminal", applies_to="x", max_prison_months=12 + i)

    def record_queries():
        # The session is saved now and then (the idle timeout), whatever the page.
        with CaptureQueriesContext(connection) as queries:
            page = page_text(publisher_client.get(change_url(law)))
        sql = [query["sql"] for query in queries.captured_queries]
        return page, [q for q in sql if "django_session" not in q and "SAVEPOINT" not in q]

    add_rows(1)
    record_queries()  # fills the caches of content types
    _, few = record_queries()
    add_rows(4)
    page, more = record_queries()
    assert page.count(f'-{VERSION_FIELD}" value="') == 10
    assert len(more) == len(few)
