"""Editors and publishers: roles, the review flow, history and revert, guarded deletion."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests import factories
from tests.admin_forms import change_form
from tracker.choices import State
from tracker.models import Designation, Organisation, OrganisationAlias
from tracker.roles import EDITOR, PUBLISHER, ensure_roles

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tracker/{}/"


def codenames(role):
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def run_action(client, model, action, *records, loaded_at=None):
    """Run a list action as if the list had been loaded at `loaded_at` (default: now)."""
    return client.post(
        CHANGELIST.format(model),
        {
            "action": action,
            "_selected_action": [record.pk for record in records],
            "loaded_at": (loaded_at or timezone.now()).isoformat(),
        },
        follow=True,
    )


def page_text(response):
    return response.content.decode()


# Roles


def test_migrate_creates_both_roles_with_exact_permissions():
    editor, publisher = codenames(EDITOR), codenames(PUBLISHER)
    assert {"add_designation", "change_designation", "delete_designation"} <= editor
    assert {"add_citation", "change_source", "view_caseevent"} <= editor
    assert not {code for code in editor if code.startswith("publish_")}
    assert publisher - editor == {
        "publish_organisation",
        "publish_designation",
        "publish_law",
        "publish_person",
        "publish_case",
        "publish_source",
    }
    # Neither role manages users or groups.
    assert not {code for code in publisher if code.endswith(("_user", "_group", "_permission"))}


def test_setup_roles_is_idempotent_and_repairs_a_role():
    before = codenames(EDITOR)
    group = Group.objects.get(name=EDITOR)
    group.permissions.remove(Permission.objects.get(codename="add_designation"))
    group.permissions.add(Permission.objects.get(codename="publish_designation"))
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    call_command("setup_roles", stdout=out)
    assert codenames(EDITOR) == before
    assert f"Editor: {len(before)} permissions" in out.getvalue()
    assert Group.objects.filter(name__in=[EDITOR, PUBLISHER]).count() == 2
    assert ensure_roles() == {EDITOR: len(before), PUBLISHER: len(codenames(PUBLISHER))}


def test_create_editor_command(monkeypatch, django_user_model):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    call_command("create_editor", "anna", "--email", "anna@example.org", "--password-stdin")
    anna = django_user_model.objects.get(username="anna")
    assert anna.is_staff and not anna.is_superuser
    assert anna.check_password("correct horse battery staple")
    assert list(anna.groups.values_list("name", flat=True)) == [EDITOR]

    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase\n"))
    call_command("create_editor", "boris", "--publisher", "--password-stdin")
    assert django_user_model.objects.get(username="boris").groups.get().name == PUBLISHER


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("anna", "short-pass1", "too short"),  # 11 characters
        ("anna", "123456789012345", "entirely numeric"),
        ("editor", "correct horse battery staple", "already an account"),
        ("", "correct horse battery staple", "Give a username"),
    ],
)
def test_create_editor_refuses(monkeypatch, editor, django_user_model, username, password, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    with pytest.raises(CommandError, match=message):
        call_command("create_editor", username, "--password-stdin")
    assert django_user_model.objects.count() == 1


# Who may publish


def test_editor_cannot_publish_or_withdraw_through_actions(editor_client):
    draft = factories.OrganisationFactory(state=State.DRAFT)
    published = factories.OrganisationFactory()
    changelist = editor_client.get(CHANGELIST.format("organisation"))
    actions = [value for value, _ in changelist.context["action_form"].fields["action"].choices]
    assert "send_to_review" in actions
    assert "publish" not in actions and "withdraw" not in actions

    run_action(editor_client, "organisation", "publish", draft)
    run_action(editor_client, "organisation", "withdraw", published)
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.state, published.state) == (State.DRAFT, State.PUBLISHED)


def test_editor_cannot_publish_through_the_form(editor_client):
    draft = factories.OrganisationFactory(state=State.DRAFT)
    response = change_form(editor_client, draft, state=State.PUBLISHED)
    assert response.status_code == 200
    assert "Only a publisher can publish" in page_text(response)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_editor_cannot_take_a_published_record_off_the_site(editor_client):
    published = factories.OrganisationFactory()
    for state in (State.DRAFT, State.REVIEW, State.WITHDRAWN):
        response = change_form(editor_client, published, state=state)
        assert "Only a publisher can publish" in page_text(response)
    run_action(editor_client, "organisation", "send_to_review", published)
    published.refresh_from_db()
    assert published.state == State.PUBLISHED


def test_editor_may_correct_a_published_record_without_changing_its_state(editor_client):
    published = factories.OrganisationFactory(description="Old text.")
    response = change_form(editor_client, published, description="Corrected text.")
    assert response.status_code == 302
    published.refresh_from_db()
    assert (published.description, published.state) == ("Corrected text.", State.PUBLISHED)


def test_review_flow_from_draft_to_public_and_withdrawn(client, editor_client, publisher_client):
    organisation = factories.OrganisationFactory(state=State.DRAFT, slug="ovd-info")
    assert client.get("/organisations/ovd-info/").status_code == 404

    run_action(editor_client, "organisation", "send_to_review", organisation)
    organisation.refresh_from_db()
    assert organisation.state == State.REVIEW
    assert client.get("/organisations/ovd-info/").status_code == 404

    # The admin's index shows what waits for review, with a link to it.
    index = page_text(publisher_client.get("/admin/"))
    assert "Waiting for review" in index
    assert "/admin/tracker/organisation/?state__exact=review" in index
    queue = publisher_client.get("/admin/").context["review_queue"]
    assert [(str(label), count) for label, count, _ in queue] == [("organisations", 1)]

    response = run_action(publisher_client, "organisation", "publish", organisation)
    assert "1 record(s) moved to published." in page_text(response)
    assert client.get("/organisations/ovd-info/").status_code == 200
    assert publisher_client.get("/admin/").context["review_queue"] == []

    run_action(publisher_client, "organisation", "withdraw", organisation)
    organisation.refresh_from_db()
    assert organisation.state == State.WITHDRAWN
    assert client.get("/organisations/ovd-info/").status_code == 404
    assert "ovd-info" not in page_text(client.get("/organisations/"))


def test_publisher_publishes_through_the_form(publisher_client):
    draft = factories.OrganisationFactory(state=State.DRAFT)
    assert change_form(publisher_client, draft, state=State.PUBLISHED).status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.PUBLISHED


# A designation must cite a source before it is published


def test_publishing_an_uncited_designation_is_refused(publisher_client):
    uncited = factories.DesignationFactory(state=State.REVIEW)
    cited = factories.DesignationFactory(state=State.REVIEW)
    factories.CitationFactory.for_object(cited)
    response = run_action(publisher_client, "designation", "publish", uncited, cited)
    assert "must cite at least one source" in page_text(response)
    # All or nothing: the cited one waits too, so the publisher can fix and retry.
    assert set(Designation.objects.values_list("state", flat=True)) == {State.REVIEW}

    run_action(publisher_client, "designation", "publish", cited)
    cited.refresh_from_db()
    assert cited.state == State.PUBLISHED


def test_designation_form_refuses_publication_without_a_citation(publisher_client):
    designation = factories.DesignationFactory(state=State.REVIEW)
    response = change_form(publisher_client, designation, state=State.PUBLISHED)
    assert "must cite at least one source" in page_text(response)
    designation.refresh_from_db()
    assert designation.state == State.REVIEW

    # With a citation added in the same form, it is published.
    source = factories.SourceFactory()
    prefix = "tracker-citation-content_type-object_id"
    response = change_form(
        publisher_client,
        designation,
        state=State.PUBLISHED,
        **{f"{prefix}-0-source": source.pk, f"{prefix}-0-quote": "declared undesirable"},
    )
    assert response.status_code == 302
    designation.refresh_from_db()
    assert designation.state == State.PUBLISHED
    assert designation.citations.get().source == source


def test_designation_inline_refuses_publication_without_a_citation(publisher_client):
    designation = factories.DesignationFactory(state=State.DRAFT)
    response = change_form(
        publisher_client, designation.organisation, **{"designations-0-state": State.PUBLISHED}
    )
    assert "must cite at least one source" in page_text(response)
    designation.refresh_from_db()
    assert designation.state == State.DRAFT


# Who may delete


def test_editor_deletes_drafts_but_not_public_records(editor_client):
    draft = factories.OrganisationFactory(state=State.DRAFT)
    public = factories.OrganisationFactory()
    withdrawn = factories.OrganisationFactory(state=State.WITHDRAWN)

    assert (
        editor_client.post(
            f"/admin/tracker/organisation/{draft.pk}/delete/", {"post": "yes"}
        ).status_code
        == 302
    )
    assert not Organisation.objects.filter(pk=draft.pk).exists()

    for record in (public, withdrawn):
        url = f"/admin/tracker/organisation/{record.pk}/delete/"
        assert editor_client.get(url).status_code == 403
        assert editor_client.post(url, {"post": "yes"}).status_code == 403

    # The bulk action refuses the whole selection.
    response = editor_client.post(
        CHANGELIST.format("organisation"),
        {"action": "delete_selected", "_selected_action": [public.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Organisation.objects.filter(pk__in=[public.pk, withdrawn.pk]).count() == 2


def test_editor_cannot_delete_a_part_of_a_public_record(editor_client):
    organisation = factories.OrganisationFactory()
    alias = factories.OrganisationAliasFactory(organisation=organisation, name="OVD")
    response = change_form(editor_client, organisation, **{"aliases-0-DELETE": "on"})
    assert "OVD is or was public: only a publisher can delete it." in page_text(response)
    assert OrganisationAlias.objects.filter(pk=alias.pk).exists()

    event = factories.CaseEventFactory()
    assert editor_client.get(f"/admin/tracker/caseevent/{event.pk}/delete/").status_code == 403


def test_publisher_deletes_public_records(publisher_client):
    public = factories.OrganisationFactory()
    alias = factories.OrganisationAliasFactory(organisation=factories.OrganisationFactory())
    response = publisher_client.post(
        f"/admin/tracker/organisation/{public.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=public.pk).exists()
    change_form(publisher_client, alias.organisation, **{"aliases-0-DELETE": "on"})
    assert not OrganisationAlias.objects.filter(pk=alias.pk).exists()


def test_users_and_groups_are_out_of_reach_of_both_roles(editor_client, publisher_client):
    for client in (editor_client, publisher_client):
        assert client.get("/admin/auth/user/").status_code == 403
        assert client.get("/admin/auth/group/").status_code == 403
