"""What is public, and who may change it: the search index follows what its entries show, and
only a publisher may take a public record off the site, by whatever path."""

import pytest

from tests import factories
from tests.admin_forms import admin_form_data, change_form, change_url
from tracker.choices import State
from tracker.models import Case, Designation, Law, Person, Source

pytestmark = pytest.mark.django_db


def case_titles(client, query):
    """The cases the search page lists for `query`."""
    response = client.get("/search/", {"q": query})
    groups = {group.kind: group for group in response.context["results"]}
    return [hit.record.title for hit in groups["case"].hits]


# The search index follows what each entry shows


@pytest.fixture
def lawyer_case():
    lawyer = factories.PersonFactory(name="Yelena Dependable", slug="yelena")
    law = factories.LawFactory(title="Article on treason", number="275.7")
    case = factories.CaseFactory(title="Trial of a lawyer", people=[lawyer])
    factories.ChargeFactory(case=case, law=law)
    return case, lawyer, law


def test_withdrawing_a_person_takes_their_name_out_of_their_cases_entries(client, lawyer_case):
    case, lawyer, _ = lawyer_case
    assert case_titles(client, "Dependable") == ["Trial of a lawyer"]
    Person.objects.filter(pk=lawyer.pk).set_state(State.WITHDRAWN)  # bulk: no signals
    assert case_titles(client, "Dependable") == []
    assert list(client.get("/cases/", {"q": "Dependable"}).context["object_list"]) == []
    Person.objects.filter(pk=lawyer.pk).set_state(State.PUBLISHED)
    assert case_titles(client, "Dependable") == ["Trial of a lawyer"]


def test_a_person_in_review_added_to_a_public_case_is_not_searchable_through_it(client):
    case = factories.CaseFactory(title="Public trial")
    unconfirmed = factories.PersonFactory(name="Unconfirmed Witness", state=State.REVIEW)
    case.people.add(unconfirmed)
    assert case_titles(client, "Unconfirmed Witness") == []
    assert case_titles(client, "Unconfir") == []
    unconfirmed.state = State.PUBLISHED
    unconfirmed.save()
    assert case_titles(client, "Unconfirmed Witness") == ["Public trial"]


def test_withdrawing_a_law_takes_its_number_out_of_the_cases_charged_under_it(client, lawyer_case):
    _, _, law = lawyer_case
    assert case_titles(client, "275.7") == ["Trial of a lawyer"]
    law.state = State.WITHDRAWN
    law.save()
    assert case_titles(client, "275.7") == []
    response = client.get("/cases/", {"format": "csv"})
    assert "treason" not in response.getvalue().decode()


def test_an_alias_moved_to_another_organisation_leaves_the_first(client):
    first = factories.OrganisationFactory(name="First Foundation")
    second = factories.OrganisationFactory(name="Second Foundation")
    alias = factories.OrganisationAliasFactory(organisation=first, name="Wandering Name")
    alias.organisation = second
    alias.save()
    response = client.get("/search/", {"q": "Wandering"})
    names = [hit.record.name for group in response.context["results"] for hit in group.hits]
    assert names == ["Second Foundation"]


# Only a publisher takes a public record off the site


@pytest.fixture
def designation():
    record = factories.DesignationFactory()
    factories.CitationFactory.for_object(record)
    return record


def test_editor_cannot_hide_a_designation_by_pointing_it_at_a_draft_law(
    client, editor_client, designation
):
    draft_law = factories.LawFactory(state=State.DRAFT)
    response = change_form(editor_client, designation, law=draft_law.pk)
    assert response.status_code == 200
    assert "would take" in response.content.decode()
    assert Designation.objects.get(pk=designation.pk).law_id == designation.law_id
    assert Designation.objects.published().filter(pk=designation.pk).exists()


def test_editor_cannot_hide_a_designation_by_moving_it_to_a_draft_organisation(
    editor_client, designation
):
    draft = factories.OrganisationFactory(state=State.REVIEW)
    response = change_form(editor_client, designation, organisation=draft.pk)
    assert "would take" in response.content.decode()
    assert Designation.objects.get(pk=designation.pk).organisation_id != draft.pk


def test_publisher_may_point_a_designation_at_a_draft_law(publisher_client, designation):
    draft_law = factories.LawFactory(state=State.DRAFT)
    response = change_form(publisher_client, designation, law=draft_law.pk)
    assert response.status_code == 302
    assert not Designation.objects.published().filter(pk=designation.pk).exists()


def test_editor_may_change_the_law_of_a_public_designation_to_another_public_one(
    editor_client, designation
):
    other = factories.LawFactory()
    assert change_form(editor_client, designation, law=other.pk).status_code == 302
    assert Designation.objects.get(pk=designation.pk).law == other


def test_editor_cannot_hide_a_charge_of_a_public_case_behind_a_draft_law(editor_client):
    charge = factories.ChargeFactory(description="treason")
    draft_law = factories.LawFactory(state=State.DRAFT)
    response = change_form(editor_client, charge.case, **{"charges-0-law": draft_law.pk})
    assert "would take" in response.content.decode()
    charge.refresh_from_db()
    assert charge.law != draft_law


def test_editor_cannot_move_the_only_public_citation_of_a_source(editor_client):
    organisation = factories.OrganisationFactory()
    draft_source = factories.SourceFactory(state=State.DRAFT)
    citation = factories.CitationFactory.for_object(organisation, source=draft_source)
    assert Source.objects.published().filter(pk=draft_source.pk).exists()
    other = factories.SourceFactory()
    prefix = "tracker-citation-content_type-object_id-0"
    response = change_form(editor_client, organisation, **{f"{prefix}-source": other.pk})
    assert "off the public site" in response.content.decode()
    citation.refresh_from_db()
    assert citation.source == draft_source
    # Once another public record cites it too, moving this citation hides nothing.
    factories.CitationFactory.for_object(factories.PersonFactory(), source=draft_source)
    response = change_form(editor_client, organisation, **{f"{prefix}-source": other.pk})
    assert response.status_code == 302
    citation.refresh_from_db()
    assert citation.source == other


def test_editor_cannot_revert_a_designation_to_a_version_under_a_withdrawn_law(
    publisher_client, editor_client, designation
):
    first_law = designation.law
    first_version = designation.history.earliest()
    assert change_form(publisher_client, designation, law=factories.LawFactory().pk).status_code
    Law.objects.filter(pk=first_law.pk).set_state(State.WITHDRAWN)
    url = f"{change_url(designation).removesuffix('change/')}history/{first_version.pk}/"
    data = admin_form_data(editor_client.get(url))
    response = editor_client.post(url, data)
    assert "would take" in response.content.decode()
    assert Designation.objects.published().filter(pk=designation.pk).exists()


def test_editor_may_change_anything_in_a_draft(editor_client):
    draft = factories.DesignationFactory(state=State.DRAFT)
    draft_law = factories.LawFactory(state=State.DRAFT)
    assert change_form(editor_client, draft, law=draft_law.pk).status_code == 302


def test_a_source_is_public_once_published_or_cited_by_a_public_record(client):
    source = factories.SourceFactory(state=State.DRAFT)
    assert client.get(source.get_absolute_url()).status_code == 404
    case = factories.CaseFactory(state=State.REVIEW)
    factories.CitationFactory.for_object(case, source=source)
    assert client.get(source.get_absolute_url()).status_code == 404
    Case.objects.filter(pk=case.pk).set_state(State.PUBLISHED)
    assert client.get(source.get_absolute_url()).status_code == 200
    Case.objects.filter(pk=case.pk).set_state(State.WITHDRAWN)
    assert client.get(source.get_absolute_url()).status_code == 404
    Source.objects.filter(pk=source.pk).set_state(State.PUBLISHED)
    response = client.get(source.get_absolute_url())
    assert response.status_code == 200
    assert response.context["cited_by"] == []  # the withdrawn case is not named


def test_editor_cannot_delete_a_published_source_but_may_delete_a_draft_one(editor_client):
    published = factories.SourceFactory(state=State.PUBLISHED)
    draft = factories.SourceFactory(state=State.DRAFT)
    for source, allowed in ((published, False), (draft, True)):
        url = f"/admin/tracker/source/{source.pk}/delete/"
        response = editor_client.post(url, {"post": "yes"})
        assert Source.objects.filter(pk=source.pk).exists() is not allowed, response.status_code


# The compiled rule (tracker.models.public.PublicRule) in a subquery of a query


def test_public_rule_inside_a_subquery_names_its_own_row():
    """Django names the designations of a subquery `U0`, as the compiled rule's own subqueries
    were named when it was compiled: the rule must still test the designation's organisation."""
    from django.db.models import Exists, OuterRef

    law = factories.LawFactory()
    hidden = factories.DesignationFactory(law=law)
    Designation.objects.filter(pk=hidden.pk).update(
        organisation=factories.OrganisationFactory(state=State.DRAFT)
    )
    designations = Designation.objects.published().filter(law=OuterRef("pk"))
    laws = Law.objects.annotate(designated=Exists(designations)).filter(pk=law.pk)
    assert [row.designated for row in laws] == [False]
    factories.DesignationFactory(law=law)
    assert [row.designated for row in laws.all()] == [True]
